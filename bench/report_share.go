package bench

import (
	"fmt"
	"strings"
)

// shareRows writes item 3's rows: per CPU share, each function's start-up beside hello's, the
// first sign-in beside the floor, the warm sign-in, and what a million sign-ins cost.
func (r *Report) shareRows(row func(item int, measure, ours, base, ratio string)) {
	sh := r.Shares
	if sh.Limiter == "" && len(sh.Rows) > 0 {
		row(3, "CPU quota: not allowed on this machine ("+sh.NoQuota+"): full core only", "—", "—", "—")
	}
	for _, mb := range sh.Sizes() {
		hello, ok := sh.Row("hello", mb)
		if !ok {
			continue
		}
		at := "no quota (this machine's 2 cores)"
		if mb != 0 {
			at = fmt.Sprintf("%d MB (%s of a core)", mb, coreShare(mb))
		}
		startup := func(fn, what string) {
			if f, ok := sh.Row(fn, mb); ok {
				name, variant, _ := strings.Cut(fn, " ")
				row(3, fmt.Sprintf("%s: `%s`%s process start → first /next%s", at, name, strings.TrimRight(" "+variant, " "), what),
					msStr(f.Init.P50), "`hello` "+msStr(hello.Init.P50), ratio(ms(f.Init.P50), ms(hello.Init.P50)))
			}
		}
		startup("signin", " (reads the secret at init)")
		startup(SigninLocalSecret, "")
		for _, fn := range []string{"autoconfirm", "me"} {
			if f, ok := sh.Row(fn, mb); ok {
				row(3, fmt.Sprintf("%s: `%s` start → first /next / → first answer", at, fn),
					msStr(f.Init.P50)+" / "+msStr(f.First.P50), "`hello` "+msStr(hello.Init.P50)+" / "+msStr(hello.First.P50),
					ratio(ms(f.Init.P50), ms(hello.Init.P50))+" / "+ratio(ms(f.First.P50), ms(hello.First.P50)))
			}
		}
		signin, ok := sh.Row("signin", mb)
		if !ok {
			continue
		}
		row(3, fmt.Sprintf("%s: `signin` cold start → first sign-in answered (secret + Cognito over new TLS connections)", at),
			msStr(signin.First.P50), "floor "+msStr(hello.Floor.P50), ratio(ms(signin.First.P50), ms(hello.Floor.P50)))
		if mb == 0 {
			continue
		}
		row(3, fmt.Sprintf("%s: `signin` warm sign-in, Duration / billed, median of %d", at, signin.Warm.N),
			msStr(signin.Warm.P50)+" / "+fmt.Sprintf("%d ms", signin.BilledWarm.Milliseconds()), "—", "—")
		row(3, fmt.Sprintf("%s: Lambda arm64, 1M sign-ins all warm / all cold (billed %d / %d ms)", at, signin.BilledWarm.Milliseconds(), signin.BilledCold.Milliseconds()),
			dollars(lambdaCostPerMillion(mb, signin.BilledWarm))+" / "+dollars(lambdaCostPerMillion(mb, signin.BilledCold)), "—", "—")
	}
	if len(sh.Rows) > 0 {
		row(3, "API Gateway REST API, 1M requests (any memory size)", dollars(1e6*apiGatewayRESTPerRequest), "—", "—")
		row(3, fmt.Sprintf("Cognito Essentials: $%.3f per monthly active user above %s free; 1M users signing in in a month", cognitoEssentialsPerMAU, thousands(cognitoEssentialsFreeMAUs)),
			dollars(cognitoMonthlyCost(1_000_000)), "—", "—")
	}
}

func (r *Report) shareNote() string {
	sh := r.Shares
	quota := "no CPU quota could be set (" + sh.NoQuota + "), so every figure is on this machine's full cores"
	if sh.Limiter != "" {
		quota = fmt.Sprintf("each size's process runs in a cgroup of its own with %s = memory/1,769 of one core per %s µs period "+
			"(1,769 MB is one vCPU on Lambda; 128 MB gets the kernel's minimum quota of 1,000 µs)", sh.Limiter, thousands(sh.Period.Microseconds()))
	}
	return fmt.Sprintf("Each bootstrap (the `make build-local` ones, and `bench/hello` built with the same flags) is a new process under a Runtime API of the bench's own "+
		"with Lambda's environment (role credentials as `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`); %s. "+
		"%d starts of each function at each size, one process at a time, in turn (every function at one size, then the next size), medians. "+
		"`signin` is configured as deployed: `CLIENT_SECRET_ARN` read at cold start from a Secrets Manager stand-in (`shared/secret/secrettest`) and the sample sign-in "+
		"(`events/signin-apigw-v1.json`, a returning user) against `cognitotest`'s in-memory pool, both over HTTPS (httptest's certificate) through "+
		"`AWS_ENDPOINT_URL_SECRETS_MANAGER`/`AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`, trusting `SSL_CERT_FILE` = %s + the local CA "+
		"(Go reads it as the system roots at the first handshake, as on AWS; `AWS_CA_BUNDLE` would have the SDK parse it at config load, in init), "+
		"so a function parses as many roots as on AWS, when it does on AWS, and pays both handshakes; then %d warm sign-ins on the same process. "+
		"`signin (CLIENT_SECRET)` is the same with the secret given directly. `hello` answers an empty event, then one making the same two HTTPS GETs on new connections with the same roots, no AWS SDK: "+
		"the floor is its first answer + that event's duration, the hello-world start-up plus the round trips and handshakes a cold sign-in cannot avoid. "+
		"`autoconfirm` and `me` answer their sample events and call nothing. Durations are taken by the Runtime API from handing out an event to its answer; "+
		"billed = rounded up to 1 ms, cold = init + first Duration (Lambda bills init). "+
		"Prices (US East, as AWS's pricing pages gave them on %s): Lambda arm64 $0.0000133334 per GB-second and $0.20 per million requests (aws.amazon.com/lambda/pricing), "+
		"API Gateway REST $3.50 per million requests, first 333 million a month (aws.amazon.com/api-gateway/pricing), "+
		"Cognito user pools Essentials $0.015 per MAU above 10,000 (aws.amazon.com/cognito/pricing); no free tiers counted.",
		quota, sh.Starts, sh.CABundle, sh.WarmN, PricesRead)
}

func dollars(f float64) string {
	if f < 100 {
		return fmt.Sprintf("$%.2f", f)
	}
	return "$" + thousands(int64(f+0.5))
}
