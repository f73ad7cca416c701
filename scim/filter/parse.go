package filter

import (
	"strconv"

	ast "github.com/scim2/filter-parser/v2"
)

// maxDepth bounds the nesting of parentheses, not(…) and value paths, so
// that a hostile filter cannot make the parser (or the code that walks the
// AST) recurse without bound.
const maxDepth = 100

// Parse parses a complete filter (RFC 7644 §3.4.2.2), for example
// `userName eq "bjensen"` or
// `emails[type eq "work" and value co "@example.com"] or not (title pr)`.
func Parse(s string) (ast.Expression, error) {
	p := parser{s: s}
	p.skipWS()
	e, err := p.parseOr(false)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.pos < len(p.s) {
		return nil, p.trailing(`"and", "or" or end of filter`)
	}
	return e, nil
}

// ParsePath parses a PATCH path (RFC 7644 §3.5.2):
// PATH = attrPath / valuePath [subAttr], for example `members`,
// `name.givenName`, `members[value eq "2819c223"]`,
// `emails[type eq "work"].value` or
// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
func ParsePath(s string) (ast.Path, error) {
	p := parser{s: s}
	p.skipWS()
	pt, err := p.parseAttrPath()
	if err != nil {
		return ast.Path{}, err
	}
	var (
		expr ast.Expression
		sub  string
		has  bool
	)
	afterPath := p.pos
	p.skipWS()
	if p.pos < len(p.s) && p.s[p.pos] == '[' {
		if expr, err = p.parseBrackets(); err != nil {
			return ast.Path{}, err
		}
		if p.pos < len(p.s) && p.s[p.pos] == '.' {
			if sub, err = p.parseSubAttr(); err != nil {
				return ast.Path{}, err
			}
			has = true
		}
	} else {
		p.pos = afterPath
	}
	p.skipWS()
	if p.pos < len(p.s) {
		if expr == nil {
			return ast.Path{}, p.trailing(`"[" or end of path`)
		}
		return ast.Path{}, p.trailing(`"." or end of path`)
	}
	path := ast.Path{ValueExpression: expr}
	if pt.hasURI || pt.hasSub || has {
		b := &pathBox{uri: pt.uri, sub: pt.sub, sub2: sub}
		path.AttributePath = pt.attrPath(&b.uri, &b.sub)
		if has {
			path.SubAttribute = &b.sub2
		}
	} else {
		path.AttributePath.AttributeName = pt.name
	}
	return path, nil
}

// ParseAttrPath parses a bare attribute path, as used by sortBy and the
// attributes / excludedAttributes lists (split on ',' first):
// attrPath = [URI ":"] ATTRNAME *1subAttr.
func ParseAttrPath(s string) (ast.AttributePath, error) {
	p := parser{s: s}
	p.skipWS()
	pt, err := p.parseAttrPath()
	if err != nil {
		return ast.AttributePath{}, err
	}
	p.skipWS()
	if p.pos < len(p.s) {
		return ast.AttributePath{}, p.trailing("end of attribute path")
	}
	if pt.hasURI || pt.hasSub {
		b := &pathBox{uri: pt.uri, sub: pt.sub}
		return pt.attrPath(&b.uri, &b.sub), nil
	}
	return ast.AttributePath{AttributeName: pt.name}, nil
}

type parser struct {
	s     string
	pos   int
	depth int
}

// pathTok is a scanned attribute path before it becomes an AST value.
type pathTok struct {
	uri, name, sub string
	hasURI, hasSub bool
}

func (pt *pathTok) bareNot() bool {
	return !pt.hasURI && !pt.hasSub && len(pt.name) == 3 &&
		lower(pt.name[0]) == 'n' && lower(pt.name[1]) == 'o' && lower(pt.name[2]) == 't'
}

// attrPath builds the AST path; uri and sub must point into the node's own
// allocation (they receive the strings).
func (pt *pathTok) attrPath(uri, sub *string) ast.AttributePath {
	ap := ast.AttributePath{AttributeName: pt.name}
	if pt.hasURI {
		*uri = pt.uri
		ap.URIPrefix = uri
	}
	if pt.hasSub {
		*sub = pt.sub
		ap.SubAttribute = sub
	}
	return ap
}

// The boxes put a node and the strings its *string fields point to in one
// allocation.
type (
	attrExprBox struct {
		e        ast.AttributeExpression
		uri, sub string
	}
	valuePathBox struct {
		e        ast.ValuePath
		uri, sub string
	}
	pathBox struct {
		uri, sub, sub2 string
	}
)

func newAttrExpr(pt *pathTok, op ast.CompareOperator, v any) *ast.AttributeExpression {
	if !pt.hasURI && !pt.hasSub {
		return &ast.AttributeExpression{
			AttributePath: ast.AttributePath{AttributeName: pt.name},
			Operator:      op,
			CompareValue:  v,
		}
	}
	b := &attrExprBox{e: ast.AttributeExpression{Operator: op, CompareValue: v}}
	b.e.AttributePath = pt.attrPath(&b.uri, &b.sub)
	return &b.e
}

func newValuePath(pt *pathTok, f ast.Expression) *ast.ValuePath {
	b := &valuePathBox{e: ast.ValuePath{ValueFilter: f}}
	b.e.AttributePath = pt.attrPath(&b.uri, &b.sub)
	return &b.e
}

// parseOr: filter = andTerm *(SP "or" SP andTerm). inVF is true inside the
// brackets of a value path.
func (p *parser) parseOr(inVF bool) (ast.Expression, error) {
	left, err := p.parseAnd(inVF)
	if err != nil {
		return nil, err
	}
	for p.keyword('o', 'r', 0) {
		right, err := p.parseAnd(inVF)
		if err != nil {
			return nil, err
		}
		left = &ast.LogicalExpression{Left: left, Right: right, Operator: ast.OR}
	}
	return left, nil
}

// parseAnd: andTerm = term *(SP "and" SP term).
func (p *parser) parseAnd(inVF bool) (ast.Expression, error) {
	left, err := p.parseTerm(inVF)
	if err != nil {
		return nil, err
	}
	for p.keyword('a', 'n', 'd') {
		right, err := p.parseTerm(inVF)
		if err != nil {
			return nil, err
		}
		left = &ast.LogicalExpression{Left: left, Right: right, Operator: ast.AND}
	}
	return left, nil
}

// keyword consumes whitespace, the keyword "and" (c==d) or "or" (c==0),
// case-insensitively, and the whitespace after it, if they are there.
// Otherwise it consumes nothing and returns false.
func (p *parser) keyword(a, b, c byte) bool {
	s, start := p.s, p.pos
	i := start
	for i < len(s) && isWS(s[i]) {
		i++
	}
	if i == start && (start == 0 || !closesToken(s[start-1])) {
		return false
	}
	n := 2
	if c != 0 {
		n = 3
	}
	if len(s)-i < n || lower(s[i]) != a || lower(s[i+1]) != b || (c != 0 && lower(s[i+2]) != c) {
		return false
	}
	i += n
	if i < len(s) && !isWS(s[i]) && s[i] != '(' {
		return false
	}
	p.pos = i
	p.skipWS()
	return true
}

// closesToken reports whether c ends a token so that a following keyword
// needs no whitespace before it: `"x"and`, `(…)and`, `[…]or`.
func closesToken(c byte) bool { return c == '"' || c == ')' || c == ']' }

// parseTerm: "(" filter ")" / "not" "(" filter ")" / valuePath / attrExp.
func (p *parser) parseTerm(inVF bool) (ast.Expression, error) {
	if p.pos >= len(p.s) {
		return nil, p.expected(p.pos, `attribute path, "(" or "not"`)
	}
	if p.s[p.pos] == '(' {
		return p.parseParens(inVF)
	}
	if !isPathChar(p.s[p.pos]) {
		return nil, p.expected(p.pos, `attribute path, "(" or "not"`)
	}
	start := p.pos
	pt, err := p.parseAttrPath()
	if err != nil {
		return nil, err
	}
	afterPath := p.pos
	p.skipWS()
	if p.pos < len(p.s) {
		switch p.s[p.pos] {
		case '(':
			if pt.bareNot() {
				e, err := p.parseParens(inVF)
				if err != nil {
					return nil, err
				}
				return &ast.NotExpression{Expression: e}, nil
			}
		case '[':
			if inVF {
				return nil, p.fail(p.pos, `unexpected "[": value filters cannot be nested`)
			}
			return p.parseValuePath(&pt, start)
		}
	}
	p.pos = afterPath
	return p.parseAttrExp(&pt)
}

func (p *parser) parseParens(inVF bool) (ast.Expression, error) {
	open := p.pos
	if p.depth++; p.depth > maxDepth {
		return nil, p.fail(open, "filter is nested too deeply")
	}
	p.pos++ // '('
	p.skipWS()
	e, err := p.parseOr(inVF)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.pos >= len(p.s) || p.s[p.pos] != ')' {
		return nil, p.expected(p.pos, `"and", "or" or ")" closing the "(" at offset `+strconv.Itoa(open))
	}
	p.pos++
	p.depth--
	return e, nil
}

// parseBrackets parses "[" valFilter "]" at p.pos and returns the filter.
func (p *parser) parseBrackets() (ast.Expression, error) {
	open := p.pos
	if p.depth++; p.depth > maxDepth {
		return nil, p.fail(open, "filter is nested too deeply")
	}
	p.pos++ // '['
	p.skipWS()
	e, err := p.parseOr(true)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.pos >= len(p.s) || p.s[p.pos] != ']' {
		return nil, p.expected(p.pos, `"and", "or" or "]" closing the "[" at offset `+strconv.Itoa(open))
	}
	p.pos++
	p.depth--
	return e, nil
}

// parseValuePath parses the rest of attrPath "[" valFilter "]" with p.pos
// at '['. It also accepts Entra ID's attrPath "[" valFilter "]" "." name
// SP compareOp [SP compValue], rewritten to
// attrPath "[" "(" valFilter ")" "and" name compareOp compValue "]".
func (p *parser) parseValuePath(pt *pathTok, start int) (ast.Expression, error) {
	f, err := p.parseBrackets()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.s) && p.s[p.pos] == '.' {
		if pt.hasSub {
			return nil, p.fail(p.pos, `unexpected ".": "`+p.s[start:p.pos]+`" already has a sub-attribute`)
		}
		sub, err := p.parseSubAttr()
		if err != nil {
			return nil, err
		}
		tail, err := p.parseAttrExp(&pathTok{name: sub})
		if err != nil {
			return nil, err
		}
		f = &ast.LogicalExpression{Left: f, Right: tail, Operator: ast.AND}
	}
	return newValuePath(pt, f), nil
}

// parseSubAttr parses "." ATTRNAME with p.pos at '.'.
func (p *parser) parseSubAttr() (string, error) {
	p.pos++ // '.'
	start := p.pos
	end, err := p.scanName(start)
	if err != nil {
		return "", err
	}
	if end < len(p.s) && isPathChar(p.s[end]) {
		return "", p.fail(end, "unexpected "+p.char(end)+" after sub-attribute name")
	}
	p.pos = end
	return p.s[start:end], nil
}

// parseAttrExp parses the rest of an attribute expression after its path:
// SP "pr" / SP compareOp SP compValue.
func (p *parser) parseAttrExp(pt *pathTok) (ast.Expression, error) {
	s := p.s
	if p.pos < len(s) && !isWS(s[p.pos]) {
		if pt.bareNot() {
			return nil, p.expected(p.pos, `"(" after "not"`)
		}
		return nil, p.expected(p.pos, "space and operator after attribute path")
	}
	p.skipWS()
	opStart := p.pos
	i := opStart
	for i < len(s) && isAlpha(s[i]) {
		i++
	}
	op, ok := compareOp(s[opStart:i])
	if !ok {
		if pt.bareNot() {
			return nil, p.expected(opStart, `"(" after "not"`)
		}
		return nil, p.expected(opStart, "operator (eq, ne, co, sw, ew, gt, lt, ge, le or pr)")
	}
	p.pos = i
	if op == ast.PR {
		if i < len(s) && !endsValue(s[i]) {
			return nil, p.expected(opStart, "operator (eq, ne, co, sw, ew, gt, lt, ge, le or pr)")
		}
		return newAttrExpr(pt, op, nil), nil
	}
	if i < len(s) && !isWS(s[i]) {
		return nil, p.expected(i, "space after operator "+strconv.Quote(s[opStart:i]))
	}
	p.skipWS()
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return newAttrExpr(pt, op, v), nil
}

func compareOp(w string) (ast.CompareOperator, bool) {
	if len(w) != 2 {
		return "", false
	}
	switch uint16(lower(w[0]))<<8 | uint16(lower(w[1])) {
	case 'e'<<8 | 'q':
		return ast.EQ, true
	case 'n'<<8 | 'e':
		return ast.NE, true
	case 'c'<<8 | 'o':
		return ast.CO, true
	case 's'<<8 | 'w':
		return ast.SW, true
	case 'e'<<8 | 'w':
		return ast.EW, true
	case 'g'<<8 | 't':
		return ast.GT, true
	case 'g'<<8 | 'e':
		return ast.GE, true
	case 'l'<<8 | 't':
		return ast.LT, true
	case 'l'<<8 | 'e':
		return ast.LE, true
	case 'p'<<8 | 'r':
		return ast.PR, true
	}
	return "", false
}

// parseAttrPath scans attrPath = [URI ":"] ATTRNAME *1subAttr at p.pos.
// The path token is the longest run of path characters; a URN prefix is
// everything before its last ':'.
func (p *parser) parseAttrPath() (pathTok, error) {
	s := p.s
	start := p.pos
	end := start
	lastColon := -1
	for end < len(s) && isPathChar(s[end]) {
		if s[end] == ':' {
			lastColon = end
		}
		end++
	}
	if end == start {
		return pathTok{}, p.expected(start, "attribute path")
	}
	var pt pathTok
	nameStart := start
	if lastColon >= 0 {
		if err := p.checkURI(start, lastColon); err != nil {
			return pathTok{}, err
		}
		pt.uri, pt.hasURI = s[start:lastColon], true
		nameStart = lastColon + 1
	}
	nameEnd, err := p.scanName(nameStart)
	if err != nil {
		return pathTok{}, err
	}
	pt.name = s[nameStart:nameEnd]
	if nameEnd < end {
		if s[nameEnd] != '.' {
			return pathTok{}, p.fail(nameEnd, "unexpected "+p.char(nameEnd)+" in attribute name")
		}
		subStart := nameEnd + 1
		subEnd, err := p.scanName(subStart)
		if err != nil {
			return pathTok{}, err
		}
		if subEnd < end {
			return pathTok{}, p.fail(subEnd, "unexpected "+p.char(subEnd)+" after sub-attribute name")
		}
		pt.sub, pt.hasSub = s[subStart:subEnd], true
	}
	p.pos = end
	return pt, nil
}

// scanName scans ATTRNAME = ["$"] ALPHA *(ALPHA / DIGIT / "-" / "_") at i
// and returns its end.
func (p *parser) scanName(i int) (int, error) {
	s := p.s
	start := i
	if i < len(s) && s[i] == '$' {
		i++
	}
	if i >= len(s) || !isAlpha(s[i]) {
		return 0, p.expected(start, "attribute name")
	}
	i++
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	return i, nil
}

// checkURI validates the schema URI prefix s[start:end] (without the
// trailing ':'): non-empty segments of letters, digits and . - _ ~ % +.
func (p *parser) checkURI(start, end int) error {
	s := p.s
	segStart := start
	for i := start; i <= end; i++ {
		if i == end || s[i] == ':' {
			if i == segStart {
				return p.fail(i, "empty segment in schema URI prefix")
			}
			segStart = i + 1
			continue
		}
		if c := s[i]; !isNameChar(c) && c != '.' && c != '~' && c != '%' && c != '+' {
			return p.fail(i, "unexpected "+p.char(i)+" in schema URI prefix")
		}
	}
	return nil
}

// trailing reports unexpected input after a complete filter or path.
func (p *parser) trailing(want string) error {
	switch p.s[p.pos] {
	case ')':
		return p.fail(p.pos, `unexpected ")" without a matching "("`)
	case ']':
		return p.fail(p.pos, `unexpected "]" without a matching "["`)
	}
	return p.expected(p.pos, want)
}

func (p *parser) skipWS() {
	for p.pos < len(p.s) && isWS(p.s[p.pos]) {
		p.pos++
	}
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isNameChar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '-' || c == '_' }

// isPathChar reports the characters of an attribute path token: name
// characters, "." ":" "$" and the extra URN characters "~" "%" "+".
func isPathChar(c byte) bool {
	return isNameChar(c) || c == '.' || c == ':' || c == '$' || c == '~' || c == '%' || c == '+'
}

// endsValue reports whether c may follow a compare value or "pr".
func endsValue(c byte) bool { return isWS(c) || c == ')' || c == ']' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
