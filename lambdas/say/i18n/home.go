package i18n

import "maps"

// The App Home (issue #22): its ids and texts live here, merged into each catalogue when
// the package initialises, like recurring.go.
const (
	HomeTitle     ID = "home.title"      // the Home's header (plain text, ≤ 150 characters)
	HomeOpen      ID = "home.open"       // the open rounds' heading
	HomeOpenRound ID = "home.open.round" // 1: channel (mention), 2: RoundTitle, 3: the user's item (escaped)
	HomeOpenNone  ID = "home.open.none"  //
	HomeLast      ID = "home.last"       // the last orders' heading; 1: orders.MaxHomeOrders
	HomeLastOrder ID = "home.last.order" // 1: channel (mention), 2: the item (escaped), 3: when its round closed
	HomeLastNone  ID = "home.last.none"  //
)

var enHome = map[ID]Text{
	HomeTitle:     S("Your orders"),
	HomeOpen:      S("*Open rounds with your order*"),
	HomeOpenRound: S("%[1]s · %[2]s\nYour order: *%[3]s*"),
	HomeOpenNone:  S("None of the open rounds has your order. Order with `/order-update <item>` in a channel."),
	HomeLast:      S("*Your last %[1]d orders*"),
	HomeLastOrder: S("• %[1]s: *%[2]s* — %[3]s"),
	HomeLastNone:  S("No orders in closed rounds yet."),
}

var koHome = map[ID]Text{
	HomeTitle:     S("내 주문"),
	HomeOpen:      S("*내 주문이 있는 진행 중인 취합*"),
	HomeOpenRound: S("%[1]s · %[2]s\n내 주문: *%[3]s*"),
	HomeOpenNone:  S("진행 중인 취합에 내 주문이 없어요. 채널에서 `/order-update <메뉴>`로 주문해 보세요."),
	HomeLast:      S("*최근 주문 (최대 %[1]d건)*"),
	HomeLastOrder: S("• %[1]s: *%[2]s* — %[3]s"),
	HomeLastNone:  S("마감된 취합의 주문이 아직 없어요."),
}

func init() {
	maps.Copy(en, enHome)
	maps.Copy(ko, koHome)
}
