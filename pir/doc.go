// Package pir holds what happened: incident records and post-incident
// reviews (PIRs) read from the formats teams keep them in, the alert
// firings they are compared with, the matching of firings to incidents and
// the quality of every alert rule (precision, recall, lead time, pages).
//
// The package is a library: it never prints and imports nothing of omen's
// internal packages.
package pir
