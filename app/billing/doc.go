// Package billing is Keyward's cost engine: the rules of money of DESIGN §5 as pure functions.
//
// Cores flow in one direction: samples are folded into hourly roll-ups (RollupSamples), roll-ups
// give each setup's hourly cores and its billed cores per day (HourlyCores, DailyCores), and billed
// cores with a license's contract give the month's money (EstimateMonth) and the cheapest prepaid
// plan (RightSize). The package reads no clock, database or network: "today" is an argument, so
// every figure it returns can be recomputed and proven on its own.
//
// Cores are integers in micro-cores and prices integers in the currency's minor unit; everything in
// between is exact (rationals and big integers), and money is rounded half away from zero once per
// month and amount, never through float64. The amounts it works out (Amount) have no upper bound:
// accepted usage at accepted prices can cost more than an int64 of minor units, and is still priced.
package billing
