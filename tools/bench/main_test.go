package main

import "testing"

func TestRatioRange(t *testing.T) {
	r := []result{{rps: 100}, {rps: 200}, {rps: 50}}
	c := []result{{rps: 110}, {rps: 180}, {rps: 60}}
	if got := ratioRange(r, c); got != "0.90-1.20" {
		t.Fatalf("ratioRange = %q, want 0.90-1.20 (each round's Carmine run over its Redis run)", got)
	}
	if m := median(r); m.rps != 100 {
		t.Fatalf("median = %v, want 100", m.rps)
	}
	if got := ratioRange(r, c); got != "0.90-1.20" {
		t.Fatalf("after median, ratioRange = %q: median reordered the rounds", got)
	}
}
