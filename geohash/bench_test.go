package geohash_test

import (
	"testing"

	"github.com/carminedb/carmine/geohash"
)

var (
	sinkU64 uint64
	sinkF   float64
	sinkB   bool
)

func BenchmarkScore(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s, _ := geohash.Score(13.361389, 38.115556)
		sinkU64 += s
	}
}

func BenchmarkDecodeScore(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		lon, lat := geohash.DecodeScore(3479099956230698)
		sinkF += lon + lat
	}
}

func BenchmarkAppendText(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 16)
	for b.Loop() {
		buf = geohash.AppendText(buf[:0], 3479099956230698)
	}
}

func BenchmarkDistance(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkF += geohash.Distance(13.361389, 38.115556, 15.087269, 37.502669)
	}
}

func BenchmarkContainsRadius(b *testing.B) {
	s := geohash.Shape{Lon: 15, Lat: 37, Radius: 200, Unit: 1000}
	b.ReportAllocs()
	for b.Loop() {
		_, ok := s.Contains(13.361389, 38.115556)
		sinkB = sinkB != ok
	}
}

func BenchmarkContainsBox(b *testing.B) {
	s := geohash.Shape{Lon: 15, Lat: 37, Box: true, Width: 400, Height: 400, Unit: 1000}
	b.ReportAllocs()
	for b.Loop() {
		_, ok := s.Contains(13.361389, 38.115556)
		sinkB = sinkB != ok
	}
}

func BenchmarkSearchArea(b *testing.B) {
	s := geohash.Shape{Lon: 15, Lat: 37, Radius: 200, Unit: 1000}
	var ranges [9]geohash.ScoreRange
	b.ReportAllocs()
	for b.Loop() {
		r := s.SearchArea().AppendRanges(ranges[:0])
		sinkU64 += r[0].Min
	}
}
