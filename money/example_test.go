package money_test

import (
	"encoding/json"
	"fmt"

	"github.com/yangtze-delta/settlement/money"
)

func Example() {
	price, err := money.ParseYuan("1234.5")
	if err != nil {
		panic(err)
	}
	fee := money.MustParseYuan("0.05")
	total, err := money.Add(price, fee)
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(map[string]money.Amount{"total": total})
	fmt.Println(int64(total), total, string(b))

	_, err = money.ParseYuan("1.001")
	fmt.Println(err)
	// Output:
	// 123455 1234.55 {"total":"1234.55"}
	// money: invalid amount syntax: "1.001" (at most two decimals after '.')
}
