// Package geohash implements the 52-bit geohash Redis uses for its GEO commands: encode and decode with the
// same bits as Redis, neighbours, bounding boxes for radius and box searches, and haversine distances.
//
// The geo work fills this module; it imports no other Carmine module.
package geohash
