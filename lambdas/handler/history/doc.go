// Package history checks orderbot's command histories for linearizability (issue #10).
//
// Its tests drive the real /order-update and /order-list handlers — signed events, the
// reply budget, "Working on it…" and the deferred run that answers on response_url, with
// duplicate deliveries and Lambda's retries — over a real store (bbolt, and DynamoDB on
// dynalite) wrapped in store/faulty, from several users at once. Every command is recorded
// with when it was sent, when its final answer arrived and what that answer says; a final
// snapshot reads every round back from the store. porcupine then searches for one
// sequential order of the commands, each taking effect at a single instant between its
// call and its answer, that the sequential model of a channel's rounds accepts. A history
// without one means some user was told something that no order of events explains.
//
// Files:
//   - model_test.go: the sequential model (state, step) and the -tolerate flag;
//   - world_test.go: one history's system under test — handlers, fake Lambda, response_url
//     capture, store-call tracking — and how answers are classified and timed;
//   - history_test.go: TestHistoriesLinearizable, FuzzHistories, the stores and reading
//     their closed rounds back;
//   - scenario_test.go: scripted histories, and broken stores the checker must reject;
//   - findings_test.go: the smallest histories of the violations found in the real code;
//   - reply_test.go: the reply classifier and the model's rules, one by one.
//
// Running:
//
//	go test ./handler/history/                # ~30 s: starts histories on bbolt for 14 s, dynalite for 7 s (-for)
//	go test -short ./handler/history/         # ~15 s
//	go test ./handler/history/ -run TestHistoriesLinearizable/boltdb -for=1h -histories=100000000 -timeout=2h
//	go test ./handler/history/ -run '^$' -fuzz=FuzzHistories -fuzztime=1h
//	go test ./handler/history/ -run TestHistoriesLinearizable -seed=N   # a logged run's commands, configurations, fault draws
//	go test ./handler/history/ -tolerate=overtaken   # accept a known violation, look for others
//
// Open finding (DynamoDB only, about 1 randomized history in 30 under the "flaky" and
// "storm" fault mixes): a set answered "could not save … Nothing was changed" is later
// found in a closed round's change set and a repeat answers "was saved". bbolt passes the
// same histories. Until it is understood, the dynalite histories run with -dynalite only:
//
//	go test ./handler/history/ -run TestHistoriesLinearizable -dynalite
//
// The package holds only tests; this file exists so that the directory is a package.
package history
