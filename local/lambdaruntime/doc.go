// Package lambdaruntime runs Go Lambda bootstrap executables on this machine, without Docker,
// the way AWS Lambda runs them on provided.al2023.
//
// Each execution environment ("instance") is one bootstrap process plus its own Lambda
// Runtime API server (2018-06-01: /runtime/invocation/next, /response, /error,
// /runtime/init/error) on 127.0.0.1, and one goroutine that owns the instance's state: the
// Runtime API handlers, the pool and the output reader send it requests over channels. A Pool
// keeps instances warm between invocations, starts another when all are busy, and reports
// function errors, timeouts, crashes and init failures with the payloads Lambda's Invoke API
// returns for them.
//
// Log order: the function's stdout and stderr share one pipe (one log stream, as in Lambda).
// Everything the function wrote before its first /next (its write had returned) is logged
// before the invocation's START line, and everything it wrote before posting /response or
// /error is logged before that invocation's END line. The runner gets this without sleeping
// or polling: the Runtime API handler writes a numbered fence line into the same pipe behind
// that output, and the START or END line is written when the reader hands the fence back, in
// order with the lines before it. Output written later (by a goroutine still running after the
// answer) goes to the function's log but not to an invocation's.
//
// AWS documentation followed:
//   - Runtime API: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
//   - Execution environment lifecycle (init limit, invoke phase until the next /next, resets):
//     https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
//   - Environment variables Lambda sets:
//     https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
package lambdaruntime
