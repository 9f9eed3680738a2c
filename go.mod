module github.com/orderbot/orderbot

go 1.26

require github.com/orderbot/orderbot/lambdas v0.0.0

replace github.com/orderbot/orderbot/lambdas => ./lambdas
