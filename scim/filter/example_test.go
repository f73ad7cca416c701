package filter_test

import (
	"errors"
	"fmt"

	"github.com/scimd/scimd/scim/filter"
)

func ExampleParse() {
	expr, err := filter.Parse(`userName eq "bjensen" and emails[type eq "work"]`)
	fmt.Println(expr, err)

	_, err = filter.Parse(`externalId eq jyoung`)
	var se *filter.SyntaxError
	if errors.As(err, &se) {
		fmt.Println(se.Offset, err)
	}
	// Output:
	// userName eq "bjensen" and emails[type eq "work"] <nil>
	// 14 syntax error at offset 14: expected compare value (quoted string, number, true, false or null), found "jyoung"; string values must be in double quotes
}

func ExampleParsePath() {
	p, _ := filter.ParsePath(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`)
	fmt.Printf("%s | %s | %s\n", p.AttributePath.URI(), p.AttributePath.AttributeName, p.AttributePath.SubAttributeName())

	p, _ = filter.ParsePath(`emails[type eq "work"].value`)
	fmt.Printf("%s | %v | %s\n", p.AttributePath.AttributeName, p.ValueExpression, p.SubAttributeName())
	// Output:
	// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User | manager | value
	// emails | type eq "work" | value
}

func ExampleMatch() {
	p, _ := filter.ParsePath(`members[value eq "2819C223"]`)
	members := []map[string]any{{"value": "17a4"}, {"value": "2819c223", "display": "Babs"}}
	for _, m := range members {
		fmt.Println(m["value"], filter.Match(p.ValueExpression, m, nil))
	}
	// Output:
	// 17a4 false
	// 2819c223 true
}
