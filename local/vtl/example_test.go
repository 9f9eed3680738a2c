package vtl_test

import (
	"context"
	"fmt"
	"log"

	"github.com/orderbot/orderbot/local/vtl"
)

func ExampleTemplate_Render() {
	tpl, err := vtl.Parse("request", `#set($body = $util.parseJson($input.body))
{"user":"$body.user","items":$body.items.size(),"trace":"$input.params('X-Trace')"}
#if($body.items.isEmpty())
#set($context.responseOverride.status = 400)
#end`)
	if err != nil {
		log.Fatal(err)
	}
	res, err := tpl.Render(context.Background(), vtl.Request{
		Body:   `{"user":"ann","items":[]}`,
		Header: map[string]string{"X-Trace": "t-1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(res.Output)
	fmt.Println(res.Status)
	// Output:
	// {"user":"ann","items":0,"trace":"t-1"}
	// 400
}

func ExampleTemplate_Tree() {
	tpl, err := vtl.Parse("t", `#if( $a eq 1 and !$b )one#{else} other#end ## a comment`)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tpl.Tree())
	// Output: #if($a == 1 && !$b)one#else other#end
}
