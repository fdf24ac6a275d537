import { describe, expect, it } from 'vitest'
import {
  cookieVerdict,
  isModified,
  isSaved,
  isSecure,
  onCookiePath,
  pathname,
  shouldDestroy,
  shouldSave,
  shouldTouch,
  storeAction,
  type Facts,
  type NoCookieReason,
  type Rules,
  type StoreAction
} from '../lib/core/decide'

// express-session's own URL parser (a dependency of express-session): used only
// to confirm that the hand-written pathnames below are what express-session sees.
const parseurl: { original(req: { url: string; originalUrl: string }): { pathname: string | null } | undefined } = require('parseurl')

/*
 * The end-of-response rules of express-session 1.19, restated as an oracle that
 * knows nothing of decide.ts.
 *
 * express-session keeps, per request, a handful of variables and decides from
 * them alone:
 *   cookieId      the ID the request's cookie carried (undefined without one)
 *   req.sessionID the ID the session will be stored and sent under
 *   req.session   the session (null/undefined once the app deletes it); its own
 *                 `id` is fixed when the Session object is built, so it can differ
 *                 from req.sessionID if the app overwrites req.sessionID
 *   originalId    the session's ID when the request started (set by generate/inflate)
 *   originalHash  hash of the data (cookie excluded) when the request started
 *   savedHash     undefined, or the hash the store is believed to hold: inflate
 *                 sets it to originalHash when resave is false, and every call to
 *                 session.save() sets it to the hash at that moment
 * The hash of the current data is compared with these at the end of the response.
 *
 * The oracle turns the Facts into such a state and evaluates express-session's
 * rules on it. Every fact sets its own piece of the state, so every one of the
 * combinations has a definite answer, even those a real request cannot produce
 * with the default genid (loaded but isNew !== idChanged; not loaded but not new).
 * Those are still evaluated; `realizable` below only counts them.
 */

interface ExpressState {
  cookieId: string | undefined
  sessionID: unknown
  session: { id: string; hash: string; cookieExpires: boolean } | null
  originalId: string
  originalHash: string
  savedHash: string | undefined
}

function stateOf(rules: Rules, facts: Facts): ExpressState {
  const originalId = 'id-at-start'
  const originalHash = 'hash-at-start'
  // regenerate() builds a new Session object with a new ID.
  const id = facts.idChanged ? 'id-regenerated' : originalId
  const hash = facts.dataChanged ? 'hash-edited' : originalHash

  let savedHash: string | undefined
  if (facts.saved === 'unchanged') savedHash = hash // save() ran and nothing changed since
  else if (facts.saved === 'changed') savedHash = 'hash-when-save-was-called' // not the current hash
  else if (facts.loaded && !rules.resave) savedHash = originalHash // inflate's assumption
  else savedHash = undefined

  // !hasId: the app replaced req.sessionID with something that is not a string.
  // We use undefined. (A truthy non-string such as 42 would make express-session's
  // destroy check pass: it tests truthiness there, not type. decide.ts ignores
  // any non-string ID, which the Facts documentation states.)
  const sessionID = facts.hasId ? id : undefined

  // isNew: the cookie did not carry the ID the session now has. A loaded and then
  // regenerated session came with its original ID; a generated one came with no
  // cookie (or an ID the store did not know; only the inequality matters).
  let cookieId: string | undefined
  if (!facts.isNew) cookieId = id
  else if (facts.loaded) cookieId = facts.idChanged ? originalId : 'id-some-other'
  else cookieId = undefined

  return {
    cookieId,
    sessionID,
    session: facts.hasSession ? { id, hash, cookieExpires: facts.cookieExpires } : null,
    originalId,
    originalHash,
    savedHash
  }
}

// express-session's rules, in our words, over its state.

/** Modified: the session got another ID, or its data hashes differently from the start. */
function esModified(s: ExpressState): boolean {
  const sess = s.session!
  return sess.id !== s.originalId || sess.hash !== s.originalHash
}

/** Saved: same ID as at the start, and the store is believed to hold exactly the current data. */
function esSaved(s: ExpressState): boolean {
  const sess = s.session!
  return sess.id === s.originalId && s.savedHash === sess.hash
}

/** Destroy: unset is 'destroy', the app dropped req.session, and there is an ID to destroy. */
function esDestroy(rules: Rules, s: ExpressState): boolean {
  return rules.unsetDestroy && s.session == null && Boolean(s.sessionID)
}

/**
 * Save: never without a string ID. A session the browser did not send, that was
 * never saved (savedHash empty), under saveUninitialized false, is written only
 * if modified; any other session is written unless it is already saved.
 */
function esSave(rules: Rules, s: ExpressState): boolean {
  if (typeof s.sessionID !== 'string') return false
  const browserDidNotSendIt = s.cookieId !== s.sessionID
  if (!rules.saveUninitialized && !s.savedHash && browserDidNotSendIt) return esModified(s)
  return !esSaved(s)
}

/** Set-Cookie: needs a string ID; a new ID goes out if saveUninitialized or modified; the browser's own ID only if rolling, or modified with an expiry. */
function esSetCookie(rules: Rules, s: ExpressState, modified: boolean): boolean {
  if (typeof s.sessionID !== 'string') return false
  if (s.cookieId !== s.sessionID) return rules.saveUninitialized || modified
  return rules.rolling || (s.session!.cookieExpires && modified)
}

interface Expected {
  action: StoreAction
  save: boolean
  touch: boolean
  destroy: boolean
  /** Why no cookie: every reason that truly holds (some situations have two). */
  cookie: true | NoCookieReason[]
}

/** What sessionware must do: express-session's rules plus its one documented deviation. */
function oracle(rules: Rules, facts: Facts): Expected {
  const s = stateOf(rules, facts)
  const stringId = typeof s.sessionID === 'string'

  // --- the store, as express-session's res.end wrapper decides ---
  const destroy = esDestroy(rules, s)
  // sessionware's deviation: when the app changed the cookie's attributes
  // (cookieChanged, e.g. "remember me" setting cookie.maxAge), the session is
  // saved, so the store's expiry follows the new cookie. express-session's hash
  // leaves the cookie out and would not save it. It still takes a session and a
  // string ID to save anything.
  const save = s.session != null && (esSave(rules, s) || (facts.cookieChanged && stringId))
  // touch: the browser sent this very ID, and there is nothing to save.
  const sendsOwnId = stringId && s.cookieId === s.sessionID
  const touch = rules.storeCanTouch && s.session != null && sendsOwnId && !save
  let action: StoreAction = 'none'
  if (destroy) action = 'destroy'
  else if (s.session == null) action = 'none'
  else if (save) action = 'save'
  else if (touch) action = 'touch'

  // --- the cookie, as express-session's on-headers listener decides ---
  let cookie: true | NoCookieReason[]
  if (s.session == null) cookie = ['no session']
  else if (!stringId) cookie = ['session id is not a string']
  else {
    // sessionware's deviation, cookie side: a changed cookie counts as a
    // modification, so the new attributes reach the browser.
    const modified = esModified(s) || facts.cookieChanged
    if (esSetCookie(rules, s, modified)) cookie = true
    else if (s.cookieId !== s.sessionID) cookie = ['new session not modified (saveUninitialized is false)']
    else {
      cookie = []
      if (!modified) cookie.push('session not modified')
      if (!s.session.cookieExpires) cookie.push('session cookie has no expiry and rolling is false')
    }
  }
  return { action, save, touch, destroy, cookie }
}

/** Whether a real request can produce these facts with the default genid. */
function realizable(facts: Facts): boolean {
  // loaded: the cookie carried originalId, so the ID differs from the cookie's exactly when it changed.
  // generated: a fresh random ID never equals the cookie's.
  return facts.loaded ? facts.isNew === facts.idChanged : facts.isNew
}

const ALL_REASONS: NoCookieReason[] = [
  'no session',
  'session id is not a string',
  'new session not modified (saveUninitialized is false)',
  'session not modified',
  'session cookie has no expiry and rolling is false'
]

const bools = [false, true]

function* allRules(): Generator<Rules> {
  for (const resave of bools)
    for (const saveUninitialized of bools)
      for (const rolling of bools)
        for (const unsetDestroy of bools)
          for (const storeCanTouch of bools) yield { resave, saveUninitialized, rolling, unsetDestroy, storeCanTouch }
}

function* allFacts(): Generator<Facts> {
  for (const hasSession of bools)
    for (const isNew of bools)
      for (const loaded of bools)
        for (const idChanged of bools)
          for (const dataChanged of bools)
            for (const saved of ['never', 'unchanged', 'changed'] as const)
              for (const cookieChanged of bools)
                for (const cookieExpires of bools)
                  for (const hasId of bools)
                    yield { hasSession, isNew, loaded, idChanged, dataChanged, saved, cookieChanged, cookieExpires, hasId }
}

const RULES_COUNT = 2 ** 5
const FACTS_COUNT = 2 ** 8 * 3
const COMBINATIONS = RULES_COUNT * FACTS_COUNT // 24576
const REALIZABLE = COMBINATIONS / 2 // half of the (loaded, isNew, idChanged) triples

function show(rules: Rules, facts: Facts): string {
  const on = (o: object) =>
    Object.entries(o)
      .map(([k, v]) => (v === true ? k : v === false ? `!${k}` : `${k}=${v}`))
      .join(' ')
  return `[${on(rules)}] [${on(facts)}]`
}

/** Runs `check` on every combination; returns the mismatches and how many ran. */
function everyCombination(check: (rules: Rules, facts: Facts, want: Expected) => string | undefined) {
  const mismatches: string[] = []
  let checked = 0
  let realizableCount = 0
  for (const rules of allRules())
    for (const facts of allFacts()) {
      checked++
      if (realizable(facts)) realizableCount++
      const problem = check(rules, facts, oracle(rules, facts))
      if (problem) mismatches.push(`${show(rules, facts)}: ${problem}`)
    }
  return { mismatches, checked, realizableCount }
}

describe('decide: every combination of rules and facts against express-session', () => {
  it(`covers all ${COMBINATIONS} combinations (${REALIZABLE} realizable with the default genid)`, () => {
    const { checked, realizableCount } = everyCombination(() => undefined)
    expect(checked).toBe(COMBINATIONS)
    expect(checked).toBe(24576)
    expect(realizableCount).toBe(REALIZABLE)
  })

  it('storeAction: destroy, then save, then touch (if the store has touch), else none', () => {
    const { mismatches, checked } = everyCombination((rules, facts, want) => {
      const got = storeAction(rules, facts)
      return got === want.action ? undefined : `storeAction ${got}, express-session ${want.action}`
    })
    expect(checked).toBe(COMBINATIONS)
    expect(mismatches.slice(0, 40)).toEqual([])
    expect(mismatches.length).toBe(0)
  })

  it('shouldDestroy, shouldSave and shouldTouch each agree on their own', () => {
    const { mismatches, checked } = everyCombination((rules, facts, want) => {
      const got = { destroy: shouldDestroy(rules, facts), save: shouldSave(rules, facts), touch: shouldTouch(rules, facts) }
      const wanted = { destroy: want.destroy, save: want.save, touch: want.touch }
      return JSON.stringify(got) === JSON.stringify(wanted) ? undefined : `got ${JSON.stringify(got)}, want ${JSON.stringify(wanted)}`
    })
    expect(checked).toBe(COMBINATIONS)
    expect(mismatches.slice(0, 40)).toEqual([])
    expect(mismatches.length).toBe(0)
  })

  it('isModified and isSaved are express-session’s (for any session that exists)', () => {
    const { mismatches, checked } = everyCombination((rules, facts) => {
      if (!facts.hasSession) return undefined // both need req.session
      const s = stateOf(rules, facts)
      const got = [isModified(facts), isSaved(rules, facts)]
      const wanted = [esModified(s), esSaved(s)]
      return got[0] === wanted[0] && got[1] === wanted[1] ? undefined : `[isModified, isSaved] ${got}, want ${wanted}`
    })
    expect(checked).toBe(COMBINATIONS)
    expect(mismatches.slice(0, 40)).toEqual([])
    expect(mismatches.length).toBe(0)
  })

  it('cookieVerdict: true exactly when the cookie is set; otherwise a NoCookieReason that holds', () => {
    const seen = new Set<string>()
    const { mismatches, checked } = everyCombination((rules, facts, want) => {
      const got = cookieVerdict(rules, facts)
      if (got === true) return want.cookie === true ? undefined : `cookie set, express-session: no (${want.cookie.join(' / ')})`
      if (typeof got !== 'string' || !ALL_REASONS.includes(got)) return `not a NoCookieReason: ${JSON.stringify(got)}`
      seen.add(got)
      if (want.cookie === true) return `no cookie (${got}), express-session sets it`
      return want.cookie.includes(got) ? undefined : `reason '${got}', want one of: ${want.cookie.join(' / ')}`
    })
    expect(checked).toBe(COMBINATIONS)
    expect(mismatches.slice(0, 40)).toEqual([])
    expect(mismatches.length).toBe(0)
    // every reason occurs somewhere in the table
    expect([...seen].sort()).toEqual([...ALL_REASONS].sort())
  })
})

// ---------------------------------------------------------------------------
// The same rules, a row at a time.

const options = (o: Partial<Rules> = {}): Rules => ({
  resave: false,
  saveUninitialized: false,
  rolling: false,
  unsetDestroy: false,
  storeCanTouch: true,
  ...o
})

/** A session loaded from the store for the cookie the browser sent, untouched by the app. */
const loadedUntouched: Facts = {
  hasSession: true,
  hasId: true,
  isNew: false,
  loaded: true,
  idChanged: false,
  dataChanged: false,
  saved: 'never',
  cookieChanged: false,
  cookieExpires: true
}

/** A session generated for a browser that sent no cookie, untouched by the app. */
const generatedUntouched: Facts = { ...loadedUntouched, isNew: true, loaded: false }

const rows: [string, Rules, Facts, StoreAction, true | NoCookieReason][] = [
  ['resave false, loaded, unchanged → touch, no cookie', options(), loadedUntouched, 'touch', 'session not modified'],
  ['resave false, loaded, unchanged, store without touch → none', options({ storeCanTouch: false }), loadedUntouched, 'none', 'session not modified'],
  ['resave true, loaded, unchanged → save', options({ resave: true }), loadedUntouched, 'save', 'session not modified'],
  ['loaded, data changed, cookie with expiry → save and cookie', options(), { ...loadedUntouched, dataChanged: true }, 'save', true],
  [
    'loaded, data changed, browser-session cookie, not rolling → save, no cookie',
    options(),
    { ...loadedUntouched, dataChanged: true, cookieExpires: false },
    'save',
    'session cookie has no expiry and rolling is false'
  ],
  ['rolling → cookie for a loaded unchanged session', options({ rolling: true }), loadedUntouched, 'touch', true],
  ['rolling → cookie even without an expiry', options({ rolling: true }), { ...loadedUntouched, cookieExpires: false }, 'touch', true],
  [
    'saveUninitialized false, new, unmodified → none and no cookie',
    options(),
    generatedUntouched,
    'none',
    'new session not modified (saveUninitialized is false)'
  ],
  ['saveUninitialized true, new, unmodified → save and cookie', options({ saveUninitialized: true }), generatedUntouched, 'save', true],
  ['saveUninitialized false, new, data set → save and cookie', options(), { ...generatedUntouched, dataChanged: true }, 'save', true],
  [
    'new session saved by hand, unchanged since, saveUninitialized false → not saved again, and (express-session) no cookie',
    options(),
    { ...generatedUntouched, saved: 'unchanged' },
    'none',
    'new session not modified (saveUninitialized is false)'
  ],
  ['regenerate on a loaded session → save and cookie', options(), { ...loadedUntouched, isNew: true, idChanged: true }, 'save', true],
  ['resave true, save() called, unchanged since → touch, not a second save', options({ resave: true }), { ...loadedUntouched, saved: 'unchanged' }, 'touch', 'session not modified'],
  ['save() called, data changed after → save', options(), { ...loadedUntouched, saved: 'changed', dataChanged: true }, 'save', true],
  ['unset destroy and req.session deleted → destroy', options({ unsetDestroy: true }), { ...loadedUntouched, hasSession: false }, 'destroy', 'no session'],
  ['unset keep and req.session deleted → none', options(), { ...loadedUntouched, hasSession: false }, 'none', 'no session'],
  ['unset destroy, req.session deleted, no string ID → none', options({ unsetDestroy: true }), { ...loadedUntouched, hasSession: false, hasId: false }, 'none', 'no session'],
  ['req.sessionID replaced by a non-string → none, no cookie', options({ resave: true, rolling: true }), { ...loadedUntouched, hasId: false }, 'none', 'session id is not a string'],
  // sessionware's deviation: a changed cookie is saved and counts as modified.
  ['(sessionware) "remember me" on a loaded unchanged session → save and cookie', options(), { ...loadedUntouched, cookieChanged: true }, 'save', true],
  [
    '(sessionware) changed cookie on a new unmodified session, saveUninitialized false → save and cookie',
    options(),
    { ...generatedUntouched, cookieChanged: true },
    'save',
    true
  ],
  [
    '(sessionware) changed cookie without expiry, not rolling → save, but no cookie',
    options(),
    { ...loadedUntouched, cookieChanged: true, cookieExpires: false },
    'save',
    'session cookie has no expiry and rolling is false'
  ]
]

describe('decide: readable rows', () => {
  it.each(rows)('%s', (_name, rules, facts, action, cookie) => {
    expect(storeAction(rules, facts)).toBe(action)
    expect(cookieVerdict(rules, facts)).toBe(cookie)
    // the row and the oracle say the same
    const want = oracle(rules, facts)
    expect(want.action).toBe(action)
    if (cookie === true) expect(want.cookie).toBe(true)
    else expect(want.cookie).toContain(cookie)
  })

  it('has all its rows', () => {
    expect(rows.length).toBe(21)
  })
})

// ---------------------------------------------------------------------------
// isSecure: express-session's rule for an https request.

describe('isSecure', () => {
  type Row = [encrypted: boolean, proxy: boolean | undefined, forwardedProto: string | undefined, frameworkSecure: boolean, secure: boolean]
  const table: Row[] = [
    // a TLS connection is secure whatever the rest says
    [true, undefined, undefined, false, true],
    [true, false, 'http', false, true],
    [true, true, 'http', false, true],
    // proxy false: only TLS counts
    [false, false, 'https', true, false],
    [false, false, undefined, false, false],
    // proxy unset: the framework's req.secure (Express applies `trust proxy`), never the header
    [false, undefined, 'https', false, false],
    [false, undefined, undefined, true, true],
    [false, undefined, 'http', true, true],
    // proxy true: the first X-Forwarded-Proto entry, trimmed, any case; req.secure ignored
    [false, true, 'https', false, true],
    [false, true, 'HTTPS , http', false, true],
    [false, true, ' https ', false, true],
    [false, true, 'https,http', false, true],
    [false, true, 'http,https', false, false],
    [false, true, 'http', true, false],
    [false, true, undefined, true, false],
    [false, true, '', false, false],
    [false, true, 'wss', false, false]
  ]

  it.each(table)('encrypted %s, proxy %s, X-Forwarded-Proto %j, req.secure %s → %s', (encrypted, proxy, forwardedProto, frameworkSecure, secure) => {
    const reads: string[] = []
    const request = {
      encrypted: () => (reads.push('encrypted'), encrypted),
      frameworkSecure: () => (reads.push('req.secure'), frameworkSecure),
      forwardedProto: () => (reads.push('X-Forwarded-Proto'), forwardedProto)
    }
    expect(isSecure(request, proxy)).toBe(secure)
    // express-session looks at req.secure only without a proxy setting, and at
    // the header only with proxy true; neither once the connection is TLS.
    const wantReads = ['encrypted']
    if (!encrypted && proxy === undefined) wantReads.push('req.secure')
    if (!encrypted && proxy === true) wantReads.push('X-Forwarded-Proto')
    expect(reads).toEqual(wantReads)
  })

  it('has all its rows', () => {
    expect(table.length).toBe(17)
  })
})

// ---------------------------------------------------------------------------
// pathname and onCookiePath: a request outside the cookie's path gets no session.
// express-session reads parseurl.original(req).pathname (or '/') and checks
// `pathname.indexOf(cookiePath || '/') === 0`: a plain string prefix, so
// '/administrator' is inside '/admin'.

describe('pathname', () => {
  const table: [url: string, path: string][] = [
    ['/', '/'],
    ['/admin', '/admin'],
    ['/admin?x=1', '/admin'],
    ['/admin#top', '/admin'],
    ['/admin/x?y#z', '/admin/x'],
    ['/a#b?c', '/a'],
    ['/a?b#c', '/a'],
    ['/?next=/admin', '/'],
    ['/admin%2Fx', '/admin%2Fx'],
    ['/%61dmin', '/%61dmin'],
    ['//host/a', '//host/a'],
    ['?x', '/'],
    ['', '/'],
    ['*', '*'],
    ['admin/x', 'admin/x'],
    ['http://host/admin/x?y', '/admin/x'],
    ['http://host/a#b', '/a'],
    ['http://host:8080/admin', '/admin'],
    ['https://user:pw@host/admin/', '/admin/'],
    ['HTTP://HOST/Admin', '/Admin'],
    ['http://host', '/'],
    // an absolute URL without a path: a '/' in its query or fragment is not the path
    ['http://host?next=/admin', '/'],
    ['http://host#/admin', '/']
  ]

  it.each(table)('%j → %j', (url, path) => {
    expect(pathname(url)).toBe(path)
  })

  it.each(table)('%j → %j is what express-session sees (parseurl.original)', (url, path) => {
    expect(parseurl.original({ url, originalUrl: url })?.pathname || '/').toBe(path)
  })

  it('has all its rows', () => {
    expect(table.length).toBe(23)
  })
})

describe('onCookiePath', () => {
  const table: [url: string, cookiePath: string | undefined, inside: boolean][] = [
    ['/', undefined, true],
    ['/anything?x', '/', true],
    ['/anything', '', true],
    ['/admin', '/admin', true],
    ['/admin/', '/admin', true],
    ['/admin/x?y', '/admin', true],
    ['/admin#frag', '/admin', true],
    ['/administrator', '/admin', true], // plain prefix, as express-session
    ['/admin', '/admin/', false],
    ['/adm', '/admin', false],
    ['/Admin', '/admin', false],
    ['/?next=/admin', '/admin', false],
    ['/#/admin', '/admin', false],
    ['/x/admin', '/admin', false],
    ['http://host/admin/x?y', '/admin', true],
    ['http://host/administrator', '/admin', true],
    ['http://host/other?next=/admin', '/admin', false],
    ['http://host?next=/admin', '/admin', false],
    ['http://host#/admin', '/admin', false],
    ['http://host', '/', true],
    ['?x', '/', true],
    ['*', '/', false],
    ['*', undefined, false],
    ['admin/x', '/admin', false],
    ['admin/x', '/', false]
  ]

  it.each(table)('%j with cookie path %j → %s', (url, cookiePath, inside) => {
    expect(onCookiePath(url, cookiePath)).toBe(inside)
  })

  it('has all its rows', () => {
    expect(table.length).toBe(25)
  })
})
