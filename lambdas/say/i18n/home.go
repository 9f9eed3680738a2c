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
	// HomeWaitingRound is an open round of the user's channels without their order; 1:
	// channel (mention), 2: RoundTitle.
	HomeWaitingRound  ID = "home.waiting.round"
	HomeWaitingLast   ID = "home.waiting.last"    // 1: the user's last item there (escaped)
	HomeRecurring     ID = "home.recurring"       // the recurring rounds' heading
	HomeRecurringLine ID = "home.recurring.line"  // 1: channel (mention), 2: RecurWhen, 3: next opening
	ButtonHomeAgain   ID = "button.home.again"    // "Order again" on an open round (plain text)
	ButtonHomeAgainIn ID = "button.home.again.in" // "Order again" on a last order (plain text)
	// HomeForeignChannel answers a Home click naming a channel that is not on the user's
	// Home (not in their index): nothing changed.
	HomeForeignChannel ID = "home.foreign"
)

var enHome = map[ID]Text{
	HomeTitle:     S("Your orders"),
	HomeOpen:      S("*Open rounds in your channels*"),
	HomeOpenRound: S("%[1]s · %[2]s\nYour order: *%[3]s*"),
	HomeOpenNone:  S("None of the open rounds has your order. Order with `/order-update <item>` in a channel."),
	HomeLast:      S("*Your last %[1]d orders*"),
	HomeLastOrder: S("• %[1]s: *%[2]s* — %[3]s"),
	HomeLastNone:  S("No orders in closed rounds yet."),

	HomeWaitingRound:   S("%[1]s · %[2]s\nYou have no order in this round."),
	HomeWaitingLast:    S("Last time: *%[1]s*"),
	HomeRecurring:      S("*Recurring rounds in your channels*"),
	HomeRecurringLine:  S("• %[1]s: %[2]s — next %[3]s"),
	ButtonHomeAgain:    S("Order again"),
	ButtonHomeAgainIn:  S("Order again in that channel"),
	HomeForeignChannel: S("That channel is not on your Home, so nothing was changed."),
}

var koHome = map[ID]Text{
	HomeTitle:     S("내 주문"),
	HomeOpen:      S("*내 채널의 진행 중인 취합*"),
	HomeOpenRound: S("%[1]s · %[2]s\n내 주문: *%[3]s*"),
	HomeOpenNone:  S("진행 중인 취합에 내 주문이 없어요. 채널에서 `/order-update <메뉴>`로 주문해 보세요."),
	HomeLast:      S("*최근 주문 (최대 %[1]d건)*"),
	HomeLastOrder: S("• %[1]s: *%[2]s* — %[3]s"),
	HomeLastNone:  S("마감된 취합의 주문이 아직 없어요."),

	HomeWaitingRound:   S("%[1]s · %[2]s\n이번 취합에는 내 주문이 없어요."),
	HomeWaitingLast:    S("지난번: *%[1]s*"),
	HomeRecurring:      S("*내 채널의 정기 취합*"),
	HomeRecurringLine:  S("• %[1]s: %[2]s — 다음: %[3]s"),
	ButtonHomeAgain:    S("다시 주문"),
	ButtonHomeAgainIn:  S("그 채널에서 다시 주문"),
	HomeForeignChannel: S("내 홈에 없는 채널이라 바뀐 것은 없어요."),
}

func init() {
	maps.Copy(en, enHome)
	maps.Copy(ko, koHome)
}
