module github.com/cognito-triggers/suite

go 1.26.0
