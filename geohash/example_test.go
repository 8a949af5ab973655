package geohash_test

import (
	"fmt"

	"github.com/carminedb/carmine/geohash"
)

// GEOADD Sicily 13.361389 38.115556 Palermo stores this score; GEOHASH and GEOPOS report the rest.
func ExampleScore() {
	score, ok := geohash.Score(13.361389, 38.115556)
	fmt.Println(score, ok)
	fmt.Println(geohash.Text(float64(score)))
	lon, lat := geohash.DecodeScore(float64(score))
	fmt.Printf("%.17f %.17f\n", lon, lat)
	// Output:
	// 3479099956230698 true
	// sqc8b49rny0
	// 13.36138933897018433 38.11555639549629859
}

// GEODIST Sicily Palermo Catania km measures between the stored positions.
func ExampleDistance() {
	p, _ := geohash.Score(13.361389, 38.115556)
	c, _ := geohash.Score(15.087269, 37.502669)
	lon1, lat1 := geohash.DecodeScore(float64(p))
	lon2, lat2 := geohash.DecodeScore(float64(c))
	fmt.Printf("%.4f\n", geohash.Distance(lon1, lat1, lon2, lat2)/1000)
	// Output:
	// 166.2742
}

// GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km scans the score ranges of up to nine cells and keeps the
// members the shape contains.
func ExampleShape_SearchArea() {
	s := geohash.Shape{Lon: 15, Lat: 37, Radius: 200, Unit: 1000}
	area := s.SearchArea()
	fmt.Println("step", area.Hash.Step)
	for _, r := range area.AppendRanges(nil) {
		fmt.Println(r.Min, r.Max)
	}
	p, _ := geohash.Score(13.361389, 38.115556)
	lon, lat := geohash.DecodeScore(float64(p))
	d, ok := s.Contains(lon, lat)
	fmt.Printf("Palermo %v %.4f km\n", ok, d/1000)
	// Output:
	// step 6
	// 3475556255399936 3476655767027712
	// 3478854790283264 3479954301911040
	// 3477755278655488 3478854790283264
	// 3481053813538816 3482153325166592
	// Palermo true 190.4424 km
}

// Neighbours wrap around the antimeridian (and, as in Redis, across the poles).
func ExampleHash_Neighbors() {
	h, _ := geohash.Encode(179.9, 0, 3)
	n := h.Neighbors()
	fmt.Printf("cell %+v\n", geohash.Decode(h).Long)
	fmt.Printf("east %+v\n", geohash.Decode(n.East).Long)
	// Output:
	// cell {Min:135 Max:180}
	// east {Min:-180 Max:-135}
}
