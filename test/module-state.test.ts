import fs from 'fs'
import path from 'path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * Two `session()` instances in one process must never share a cache or a
 * request: no module of the library may hold mutable state, reach for
 * process-wide registries, or change Node's classes. Checked on the source,
 * top-level statement by statement.
 */
const root = path.join(__dirname, '..')
const files = ['lib', 'stores'].flatMap((dir) => walk(path.join(root, dir)))

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return walk(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

// Values that cannot change: literals, functions, frozen objects, regular expressions, types.
function immutable(node: ts.Expression | undefined): boolean {
  if (!node) return true
  if (ts.isAsExpression(node) || ts.isParenthesizedExpression(node) || ts.isSatisfiesExpression(node)) return immutable(node.expression)
  if (ts.isStringLiteral(node) || ts.isNumericLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isRegularExpressionLiteral(node)) return true
  if (ts.isPrefixUnaryExpression(node) || ts.isTemplateExpression(node) || ts.isBinaryExpression(node)) return true
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) return true
  if (ts.isConditionalExpression(node)) return immutable(node.whenTrue) && immutable(node.whenFalse)
  if (ts.isCallExpression(node)) {
    const callee = node.expression.getText()
    // Object.freeze makes a constant; debuglog gives a function; Symbol() a value of this module alone.
    return callee === 'Object.freeze' || callee === 'debuglog' || callee === 'Symbol'
  }
  return false
}

function problems(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)
  const found: string[] = []
  const where = (node: ts.Node) => `${path.relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue
    const flags = statement.declarationList.flags
    if (!(flags & ts.NodeFlags.Const)) found.push(`${where(statement)}: a module-level let/var`)
    for (const declaration of statement.declarationList.declarations) {
      const primitive = declaration.type !== undefined && ['boolean', 'number', 'string'].includes(declaration.type.getText())
      if (!primitive && !immutable(declaration.initializer)) found.push(`${where(declaration)}: a module-level mutable value: ${declaration.getText().slice(0, 80)}`)
    }
  }
  const text = source.getFullText()
  for (const forbidden of ['globalThis', 'Symbol.for(', 'IncomingMessage.prototype', 'ServerResponse.prototype', 'OutgoingMessage.prototype']) {
    if (text.includes(forbidden)) found.push(`${path.relative(root, file)}: uses ${forbidden}`)
  }
  return found
}

describe('no module-level mutable state, no process-wide side effects', () => {
  it('reads every library source file', () => {
    expect(files.length).toBeGreaterThan(15)
  })

  it.each(files.map((file) => [path.relative(root, file)]))('%s', (relative) => {
    expect(problems(path.join(root, relative))).toEqual([])
  })

  it('the check finds what it looks for', () => {
    const probe = path.join(root, '.vitest-tmp', 'probe.ts')
    fs.mkdirSync(path.dirname(probe), { recursive: true })
    fs.writeFileSync(probe, "let last: string | undefined\nconst cache = new Map()\nconst list = [1]\nconst key = Symbol.for('x')\nconst ok = Object.freeze({})\n")
    try {
      // let, new Map, an array, and Symbol.for (both as a value and as a registry).
      expect(problems(probe)).toHaveLength(5)
    } finally {
      fs.rmSync(probe)
    }
  })
})
