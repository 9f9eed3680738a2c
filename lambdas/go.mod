module github.com/orderbot/orderbot/lambdas

go 1.26
