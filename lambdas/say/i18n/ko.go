package i18n

// ko is the Korean catalogue, in 해요체 throughout. Counts take counters (주문 3건, 메뉴 2개,
// 3명) and no plural forms. A particle never follows an argument — 을/를, 이/가, 은/는,
// 이에요/예요 depend on the last sound of the word before them, and an item can be any
// text — so an item stands after a colon or in parentheses. The terms (README, "Korean
// and English"): 주문 order, 취합 round, 메뉴 item, 마감 close, 최종 집계 final tally,
// 공유 share (post to the channel), 취소 cancel (withdraw an order).
var ko = map[ID]Text{
	UsageUpdate: S("`/order-update <메뉴>` 이 채널의 주문 취합에 내 주문을 넣거나 바꿔요\n" +
		"`/order-update 취소` 내 주문을 취소해요\n" +
		"`/order-list` 취합을 보여 줘요"),
	UsageList: S("`/order-list` 이 채널의 주문 취합을 메뉴별로 보여 줘요 (나만 보여요)\n" +
		"`/order-list 공유` 채널에 게시해요\n" +
		"`/order-list 마감` 취합을 마감하고 최종 집계를 게시해요\n" +
		"`/order-list 마감 11:30` 또는 `마감 20분` 그때 마감해요. `마감 없음` 마감 시각을 지워요\n" +
		"`/order-list 재촉` 지난번에 주문했지만 이번에는 아직 주문하지 않은 사람을 불러요"),
	ProblemDeadline:      S("마감 시각으로 읽을 수 없어요: `%[1]s`. `마감 11:30`, `마감 20분`, `마감 없음`처럼 적어 주세요."),
	ProblemDeadlinePast:  S("이미 지난 시각이에요 (오늘 %[1]s). 더 늦은 시각을 골라 주세요."),
	ProblemDeadlineFar:   S("마감 시각은 %[1]d시간 안으로만 정할 수 있어요."),
	DeadlineSet:          S("주문 마감 시각: *%[1]s* (%[2]d분 후)."),
	DeadlineRemoved:      S("마감 시각을 지웠어요. 누군가 마감할 때까지 취합이 열려 있어요."),
	DeadlineRoundClosed:  S("이 마감 시각이 걸린 취합은 그 뒤에 마감됐어요. 최종 집계는 `/order-list 기록`에서 볼 수 있어요."),
	DeadlineInviteHint:   S("이 채널에는 제가 글을 올릴 수 없어서, 마감 때 최종 집계는 설정한 분께만 보내져요. `/invite @orderbot`으로 초대해 주세요."),
	NotPostedInChannel:   S("채널에 최종 집계를 올리지 못했어요: <#%[1]s>. `/invite @orderbot`으로 초대해 주세요. 최종 집계는 다음과 같아요:"),
	DeadlineSkipped:      S("오늘은 서머타임이 시작돼 시계가 건너뛰는 시각이라 존재하지 않아요: %[1]s. 바뀌기 전 시계로 읽었어요: %[2]s"),
	DeadlineTwice:        S("오늘은 서머타임이 끝나 같은 시각이 두 번 와요: %[1]s. 다음에 오는 쪽으로 정했어요: %[2]s (다른 하나: %[3]s, 그쪽으로 하려면 `마감 …분 후`를 쓰세요)."),
	DeadlineNotSaved:     S("죄송해요. 데이터베이스가 제때 응답하지 않아 마감 시각을 저장하지 못했어요. 바뀐 것은 없어요. 다시 시도해 주세요."),
	DeadlineNotScheduled: S("죄송해요. 스케줄러가 마감 예약을 받지 않아 마감 시각을 설정하지 못했어요. 취합은 그대로예요. 다시 시도하거나 `/order-list 마감`으로 마감해 주세요."),
	DeadlineLine:         S("⏰ 마감 시각: *%[1]s*"),
	DeadlineReminder:     S("⏰ 주문 마감까지 %[2]d분 남았어요 (마감 시각: *%[1]s*). 지금까지 주문 %[3]d건. `/order-update <메뉴>`로 참여하세요."),
	DeadlineClosed:       S("마감 시각이 되어 마감했어요 (%[1]s)."),
	ProblemEmptyItem:     S("무엇을 주문할지 적어 주세요. 예: `/order-update 아이스 아메리카노`"),
	ProblemItemTooLong:   S("주문이 너무 길어요. %[1]d자 이내로 적어 주세요."),
	ProblemInvalidItem:   S("저장할 수 없는 문자(제어 문자나 잘못된 UTF-8)가 들어 있어요."),
	ProblemOtherItem:     S("입력한 그대로는 주문을 받을 수 없어요."),
	ProblemWrongRoute:    S("여기는 `%[1]s`의 Request URL이에요. `%[2]s`의 것이 아니에요."),
	ProblemUnknownArg:    S("알 수 없는 명령어예요: `%[1]s`"),
	FieldBoth:            S("최근 메뉴를 고르거나 직접 입력해 주세요. 둘 다는 안 돼요."),
	FieldEmpty:           S("최근 메뉴를 고르거나 직접 입력해 주세요."),

	OrderSet:           S("내 주문: *%[1]s* — 이번 취합의 주문은 %[2]d건이에요."),
	OrderSetHint:       S("`/order-update <메뉴>`로 바꾸고, `/order-update 취소`로 취소하고, `/order-list`로 취합을 볼 수 있어요."),
	OrderInClosedRound: S("주문(*%[1]s*)은 저장됐어요. 그 사이 마감된 취합의 최종 집계(주문 %[2]d건)에 들어 있어요."),
	OvertakenOpenNone: S("주문(*%[1]s*)은 저장됐지만, 그 뒤에 보낸 요청이 이를 바꿨어요. " +
		"지금 이번 취합에는 내 주문이 없어요."),
	OvertakenOpenItem: S("주문(*%[1]s*)은 저장됐지만, 그 뒤에 보낸 요청이 이를 바꿨어요. " +
		"지금 이번 취합의 내 주문: *%[2]s*"),
	OvertakenClosedNone: S("주문(*%[1]s*)은 저장됐지만, 그 뒤에 보낸 요청이 이를 바꿨어요. " +
		"그 사이 마감된 취합에는 내 주문이 없어요."),
	OvertakenClosedItem: S("주문(*%[1]s*)은 저장됐지만, 그 뒤에 보낸 요청이 이를 바꿨어요. " +
		"그 사이 마감된 취합의 내 주문: *%[2]s*"),
	SupersededNone: S("더 나중에 보낸 요청이 먼저 처리돼서 이 요청으로는 바뀐 게 없어요. 이번 취합에 내 주문은 없어요."),
	SupersededItem: S("더 나중에 보낸 요청이 먼저 처리돼서 이 요청으로는 바뀐 게 없어요. 내 주문: *%[1]s*"),
	RoundFull: S("이번 취합에는 이미 주문이 %[1]d건 있어요. 한 취합에 받을 수 있는 최대치예요. " +
		"`/order-list 마감`으로 마감하고 새로 시작해 주세요."),
	NotSaved:           S("죄송해요. 데이터베이스가 제때 응답하지 않아 저장하지 못했어요 (%[1]s). 바뀐 것은 없으니 다시 시도해 주세요."),
	NotSavedOrder:      S("주문 *%[1]s*"),
	NotSavedWithdrawal: S("주문 취소"),
	NotClosed: S("죄송해요. 데이터베이스가 제때 응답하지 않아 취합을 마감하지 못했어요. " +
		"취합은 아직 열려 있으니 `/order-list 마감`을 다시 시도해 주세요."),
	Unknown: S("죄송해요. 데이터베이스가 응답하지 않아 요청이 반영됐는지 알 수 없어요. " +
		"잠시 후 `/order-list`로 확인해 주세요."),
	NotRead: S("죄송해요. 데이터베이스가 제때 응답하지 않아 취합을 읽지 못했어요. 다시 시도해 주세요."),
	HandOffUnknown: S("죄송해요. 처리가 Slack이 기다리는 시간보다 오래 걸려서 요청이 반영됐는지 아직 알 수 없어요. " +
		"잠시 후 `/order-list`로 확인해 주세요."),
	OrderCancelled:  S("주문을 취소했어요. 이번 취합에 주문 %[1]d건이 남았어요."),
	NothingToCancel: S("이 채널의 취합에 내 주문이 없어서 취소할 게 없어요."),
	NoOpenRound:     S("이 채널에 진행 중인 취합이 없어요. `/order-update <메뉴>`로 시작해 보세요."),
	WorkingOnIt:     S("처리하고 있어요… 잠시 후에 답을 드릴게요."),
	MentionHelp: S("안녕하세요! 이 채널의 주문을 모아 드려요.\n" +
		"• `/order-update <메뉴>` 주문을 넣거나 바꿔요 (`취소`로 취소)\n" +
		"• `/order-list` 취합 보기 · `공유` 채널에 게시 · `마감` 마감하고 최종 집계 게시"),

	RoundEmpty:        S("이번 취합에 아직 주문이 없어요. `/order-update <메뉴>`로 주문을 넣어 보세요."),
	RoundClosedEmpty:  S("주문 없이 취합을 마감했어요."),
	RoundTitle:        S("주문 취합 — 주문 %[1]d건, 메뉴 %[2]d개"),
	RoundTitleClosed:  S("취합 마감 — 최종 집계: 주문 %[1]d건, 메뉴 %[2]d개"),
	RoundMoreItems:    S("…외 메뉴 %[1]d개"),
	RoundMorePeople:   S("…외 %[1]d명"),
	RoundHint:         S("`/order-list 공유` 채널에 게시 · `/order-list 마감` 취합 마감"),
	ButtonJoin:        S("+1 같은 걸로"),
	ButtonCancel:      S("내 주문 취소"),
	ButtonClose:       S("취합 마감"),
	ConfirmCloseTitle: S("이 취합을 마감할까요?"),
	ConfirmCloseText:  S("모든 주문이 최종 집계로 채널에 게시돼요. 다음 주문부터는 새 취합이 시작돼요."),
	ConfirmCloseYes:   S("마감하기"),
	ConfirmCloseNo:    S("계속 받기"),

	ClickStale:      S("이미 마감된 취합이라 바뀐 것은 없어요. 지금 취합은 `/order-list`로 볼 수 있어요."),
	ClickItemGone:   S("이번 취합에 그 메뉴를 주문한 사람이 이제 없어서 바뀐 것은 없어요. `/order-update <메뉴>`로 주문해 주세요."),
	AgainNone:       S("이 채널의 지난 취합에 내 주문이 없어요. `/order-update <메뉴>`로 주문해 주세요."),
	HistoryNone:     S("이 채널에 마감된 취합이 아직 없어요."),
	HistoryTitle:    S("*이 채널의 최근 마감된 취합*"),
	HistoryRound:    S("*%[1]s* — 마감: %[2]s · 주문 %[3]d건\n%[4]s"),
	HistoryDeadline: S("마감 시각"),
	RoundOpenedBy:   S("시작: %[1]s"),
	RoundClosedBy:   S("마감: %[1]s"),

	Poke:           S("%[1]s — 이 채널의 지난 취합에는 주문했는데 이번 취합에는 아직 주문이 없어요 (요청: %[2]s). `/order-update <메뉴>`로 주문하거나, 지난번과 같은 걸로 `/order-update 다시`를 입력해 주세요."),
	PokeNobody:     S("지난 취합에 주문한 사람이 모두 이번 취합에도 주문했어요. 재촉할 사람이 없어요."),
	PokeNoRounds:   S("이 채널에 마감된 취합이 아직 없어서 재촉할 사람이 없어요."),
	ClickYouClosed: S("취합을 마감했어요 (주문 %[1]d건). 최종 집계는 채널에 있어요."),

	ModalTitle:           S("내 주문"),
	ModalSubmit:          S("주문하기"),
	ModalClose:           S("취소"),
	ModalPickLabel:       S("최근 메뉴에서 고르기"),
	ModalPickPlaceholder: S("메뉴 선택"),
	ModalTextLabel:       S("또는 직접 입력"),
	ModalTextPlaceholder: S("예: 아이스 아메리카노"),

	KeywordCancel:  S("취소"),
	KeywordClose:   S("마감"),
	KeywordShare:   S("공유"),
	KeywordAgain:   S("다시"),
	KeywordHistory: S("기록"),
	KeywordHelp:    S("도움말"),
	KeywordPoke:    S("재촉"),
}
