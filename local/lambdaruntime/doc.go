// Package lambdaruntime runs Go Lambda bootstrap executables on this machine,
// without Docker, the way AWS Lambda runs them on provided.al2023.
//
// Each execution environment ("instance") is one bootstrap process plus its
// own Lambda Runtime API server (2018-06-01: /runtime/invocation/next,
// /response, /error, /runtime/init/error) on 127.0.0.1. A Pool keeps
// instances warm between invocations, starts another when all are busy, and
// reports function errors, timeouts, crashes and init failures with the
// payloads Lambda's Invoke API returns for them.
//
// Runtime API reference: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
package lambdaruntime
