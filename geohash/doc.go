// Package geohash implements the 52-bit geohash Redis uses for its GEO commands, with the same bits and the
// same floating-point steps as Redis, so scores, GEOHASH strings, positions, distances and search results
// agree with a real Redis server.
//
// A point is stored as the sorted-set score [Score] returns: 26 bits of longitude (-180..180) and 26 bits of
// latitude (-85.05112878..85.05112878), interleaved with the latitude bits in the even positions
// ([Interleave]). [DecodeScore] turns a score back into the clamped centre of its cell, which is the
// position GEOPOS reports, and [Text] gives the 11-character standard geohash GEOHASH reports.
//
// A search builds a [Shape] (a circle or a box, with its unit), asks it for its [SearchArea] (the centre cell
// at the step [EstimateSteps] picks and its eight [Neighbors], some excluded) and scans the score ranges of
// [SearchArea.AppendRanges], keeping the members [Shape.Contains] accepts ([Shape.Prepare] readies a shape for
// testing many points). [Distance] is Redis's haversine
// formula with its [EarthRadius], evaluated with correctly rounded sin, cos and asin: they agree with the C
// library Redis uses (glibc) but for its rare misrounded results, where Go's math package is an ulp off for a
// third of all arguments.
//
// GEOADD Sicily 13.361389 38.115556 Palermo stores:
//
//	score 3479099956230698, GEOHASH "sqc8b49rny0", GEOPOS 13.36138933897018433 38.11555639549629859
//
// The package matches Redis where Redis is odd, too: neighbours wrap across the poles as well as the
// antimeridian, a bounding box that passes a pole can make a search miss points, and a search may scan the
// same cell twice. Doc comments say "Matches Redis" where that is so. It uses only the standard library.
package geohash
