package i18n

import "maps"

// Recurring rounds (issue #22): their ids and texts live here, merged into each catalogue
// when the package initialises, so the feature's words are in one file.
const (
	KeywordSchedules ID = "keyword.schedules"     // the word that lists a channel's recurring rounds
	KeywordStop      ID = "keyword.stop"          // the word before a number that stops one
	KeywordSkip      ID = "recur.words.skip_next" // the two words that skip the next occurrence (not a one-word keyword)

	RecurDaysAll     ID = "recur.days.all"
	RecurDaysWork    ID = "recur.days.work"
	RecurDaysWeekend ID = "recur.days.weekend"
	RecurDayNames    ID = "recur.days.names"   // the days' short names, Sunday first, comma-separated
	RecurWhen        ID = "recur.when"         // 1: days, 2: opening time, 3: closing time, 4: zone abbreviation
	ProblemRecurring ID = "problem.recurring"  // 1: the argument (escaped)
	ProblemRecurMax  ID = "problem.recur_max"  // 1: orders.MaxRecurring
	ProblemRecurNum  ID = "problem.recur_num"  // 1: what was typed (escaped)
	RecurSet         ID = "recur.set"          // 1: setter (mention), 2: RecurWhen, 3: next opening
	RecurCannotPost  ID = "recur.cannot_post"  //
	RecurNotSaved    ID = "recur.not_saved"    //
	RecurList        ID = "recur.list"         // the list's title
	RecurListLine    ID = "recur.list.line"    // 1: number, 2: RecurWhen, 3: setter (mention), 4: next opening
	RecurListSkip    ID = "recur.list.skip"    // 1: the skipped opening
	RecurListStopped ID = "recur.list.stopped" // 1: RecurWhen, 2: who stopped it (mention)
	RecurListNone    ID = "recur.list.none"
	RecurStopped     ID = "recur.stopped"   // 1: who (mention), 2: number, 3: RecurWhen
	RecurSkipped     ID = "recur.skipped"   // 1: who (mention), 2: the skipped opening, 3: RecurWhen
	RecurNoneToSkip  ID = "recur.none_skip" //
	RecurOpened      ID = "recur.opened"    // 1: closing time
	RecurKept        ID = "recur.kept"      // 1: closing time
)

var enRecurring = map[ID]Text{
	KeywordSchedules: S("schedules"),
	KeywordStop:      S("stop"),
	KeywordSkip:      S("skip next"),
	RecurDaysAll:     S("every day"),
	RecurDaysWork:    S("weekdays"),
	RecurDaysWeekend: S("weekends"),
	RecurDayNames:    S("Sun,Mon,Tue,Wed,Thu,Fri,Sat"),
	RecurWhen:        S("%[1]s %[2]s–%[3]s %[4]s"),
	ProblemRecurring: S("I can't read `%[1]s` as a recurring round: say `every weekday at 11:00 until 11:30`, `every mon,wed,fri at 15:00 for 20m` or `every day at 9:30 for 1h`."),
	ProblemRecurMax:  S("This channel has %[1]d recurring rounds already, the most it takes: stop one first (`/order-list schedules`, then `/order-list stop N`)."),
	ProblemRecurNum:  S("There is no recurring round `%[1]s` here: `/order-list schedules` lists them with their numbers."),
	RecurSet:         S("%[1]s set a recurring round: *%[2]s*. The next one opens %[3]s."),
	RecurCannotPost:  S("I can't post in this channel, so a recurring round could not open its rounds here. Invite me first with `/invite @orderbot`, then set it again. Nothing was set."),
	RecurNotSaved:    S("Sorry — I could not set the recurring round (the database or the scheduler did not answer in time). Nothing was set; please try again."),
	RecurList:        S("*Recurring rounds in this channel*"),
	RecurListLine:    S("%[1]d. *%[2]s* — set by %[3]s, next %[4]s"),
	RecurListSkip:    S("   (skipped: %[1]s)"),
	RecurListStopped: S("• ~%[1]s~ — stopped by %[2]s"),
	RecurListNone:    S("No recurring rounds in this channel. Set one with `/order-list every weekday at 11:00 until 11:30`."),
	RecurStopped:     S("%[1]s stopped recurring round %[2]d (*%[3]s*)."),
	RecurSkipped:     S("%[1]s skipped the next recurring round (%[2]s, *%[3]s*)."),
	RecurNoneToSkip:  S("There is no recurring round here to skip."),
	RecurOpened:      S("The recurring round is open: orders close at *%[1]s*."),
	RecurKept:        S("A round was already open: it is kept as this recurring round, and now closes at *%[1]s*."),
}

var koRecurring = map[ID]Text{
	KeywordSchedules: S("일정"),
	KeywordStop:      S("중지"),
	KeywordSkip:      S("다음 건너뛰기"),
	RecurDaysAll:     S("매일"),
	RecurDaysWork:    S("평일"),
	RecurDaysWeekend: S("주말"),
	RecurDayNames:    S("일,월,화,수,목,금,토"),
	RecurWhen:        S("%[1]s %[2]s~%[3]s %[4]s"),
	ProblemRecurring: S("정기 취합으로 읽을 수 없어요: `%[1]s`. `평일 11시~11시 30분`, `월수금 15시 20분간`, `매일 9시 30분 1시간`처럼 적어 주세요."),
	ProblemRecurMax:  S("이 채널에는 정기 취합이 이미 %[1]d개 있어요 (최대). 먼저 하나를 중지해 주세요 (`/order-list 일정`, `/order-list 중지 N`)."),
	ProblemRecurNum:  S("여기에는 이 번호의 정기 취합이 없어요: `%[1]s`. `/order-list 일정`에서 번호를 확인해 주세요."),
	RecurSet:         S("%[1]s 님이 정기 취합을 정했어요: *%[2]s*. 다음 취합은 %[3]s에 열려요."),
	RecurCannotPost:  S("이 채널에 글을 올릴 수 없어서 정기 취합을 열 수 없어요. 먼저 `/invite @orderbot`으로 초대한 뒤 다시 정해 주세요. 아무것도 바뀌지 않았어요."),
	RecurNotSaved:    S("죄송해요. 정기 취합을 정하지 못했어요 (데이터베이스나 스케줄러가 제때 응답하지 않았어요). 아무것도 바뀌지 않았으니 다시 시도해 주세요."),
	RecurList:        S("*이 채널의 정기 취합*"),
	RecurListLine:    S("%[1]d. *%[2]s* — 정한 사람: %[3]s, 다음: %[4]s"),
	RecurListSkip:    S("   (건너뜀: %[1]s)"),
	RecurListStopped: S("• ~%[1]s~ — 중지한 사람: %[2]s"),
	RecurListNone:    S("이 채널에는 정기 취합이 없어요. `/order-list 평일 11시~11시 30분`처럼 정할 수 있어요."),
	RecurStopped:     S("%[1]s 님이 정기 취합 %[2]d번을 중지했어요 (*%[3]s*)."),
	RecurSkipped:     S("%[1]s 님이 다음 정기 취합을 건너뛰었어요 (%[2]s, *%[3]s*)."),
	RecurNoneToSkip:  S("건너뛸 정기 취합이 없어요."),
	RecurOpened:      S("정기 취합이 열렸어요. 주문 마감 시각: *%[1]s*."),
	RecurKept:        S("이미 열려 있던 취합을 이번 정기 취합으로 이어 가요. 주문 마감 시각: *%[1]s*."),
}

func init() {
	maps.Copy(en, enRecurring)
	maps.Copy(ko, koRecurring)
}
