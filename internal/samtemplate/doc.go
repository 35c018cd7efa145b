// Package samtemplate checks the wiring of template.yaml that cfn-lint
// cannot see.
//
// cfn-lint transforms the SAM template and validates it against the
// CloudFormation schemas, but several mistakes that break sign-in in
// production are valid CloudFormation:
//
//   - a trigger given as !Ref Function: the function's name, which Cognito
//     rejects at deploy time or, worse, a name that resolves in another
//     context;
//   - LambdaVersion V9_0: the property has no enum in the schema;
//   - a Lambda permission whose SourceArn is not the user pool (Cognito then
//     gets AccessDeniedException and every sign-in fails), or that is not
//     scoped to the account;
//   - a Timeout above 5 s: Cognito stops waiting at 5 s whatever the
//     function's timeout is, so a longer timeout only hides slow calls;
//   - BuildMethod values SAM does not know, and Makefile targets that are
//     missing or do not build a static arm64 bootstrap;
//   - a policy that reaches a table or secret the function never uses;
//   - an environment variable the code reads but the template never sets
//     (or sets under a misspelt name);
//   - an alarm on a metric, function, outcome or reason name the code never
//     publishes: valid CloudWatch, but the alarm never fires.
//
// The template is read with gopkg.in/yaml.v3; CloudFormation's short-form
// tags (!Ref, !GetAtt, !Sub, !If, ...) are turned into their long forms
// ({"Ref": ...}, {"Fn::GetAtt": [...]}), so every check sees one shape.
// Checks take a *Template and return Problems, so tests can mutate a
// parsed template in memory and assert that each check reports the break.
package samtemplate
