package bench

import "time"

// Prices in US East (N. Virginia), in US dollars, from AWS's pricing pages. Those pages render
// their rate tables client side, so the stored copies searched for this (2026-12-01) hold the
// rates only in their text and worked examples, as transcribed from the pages on PricesRead:
//   - https://aws.amazon.com/lambda/pricing/ — Arm: $0.0000133334 per GB-second (first 7.5
//     billion GB-seconds a month), $0.20 per million requests; duration, init code's included,
//     rounded up to the nearest 1 ms;
//   - https://aws.amazon.com/api-gateway/pricing/ — REST APIs: $3.50 per million requests (first
//     333 million a month), as AWS's whitepaper docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html
//     also gives it;
//   - https://aws.amazon.com/cognito/pricing/ — user pools, Essentials (the default plan of a
//     new pool): $0.015 per monthly active user above 10,000 free ones; Lite $0.0055.
const (
	PricesRead                = "2026-09-20"
	lambdaArmPerGBSecond      = 0.0000133334
	lambdaPerRequest          = 0.20 / 1e6
	apiGatewayRESTPerRequest  = 3.50 / 1e6
	cognitoEssentialsPerMAU   = 0.015
	cognitoEssentialsFreeMAUs = 10000
)

// lambdaCostPerMillion is what a million invocations of memoryMB, each billed for d (already
// rounded up to the millisecond), cost on arm64: requests plus GB-seconds.
func lambdaCostPerMillion(memoryMB int, d time.Duration) float64 {
	gbSeconds := float64(memoryMB) / 1024 * d.Seconds()
	return 1e6 * (lambdaPerRequest + gbSeconds*lambdaArmPerGBSecond)
}

// cognitoMonthlyCost is Essentials' monthly price for users distinct users signing in.
func cognitoMonthlyCost(users int) float64 {
	return float64(max(users-cognitoEssentialsFreeMAUs, 0)) * cognitoEssentialsPerMAU
}
