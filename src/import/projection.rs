//! WGS84 longitude and latitude to a venue's local metres and back: a transverse Mercator
//! about the site's origin (proj4rs' exact Poder/Engsager `tmerc`, scale 1 on the central
//! meridian, x east and y north of the origin). Over a few kilometres its scale differs from 1
//! by x²/2R² (under 2 · 10⁻⁷ at 2.5 km), far below a raster cell.

use crate::scenario::model::LatLon;
use proj4rs::Proj;
use proj4rs::transform::transform;

/// The projection of one venue: metres about `origin`.
pub struct Projection {
    wgs84: Proj,
    local: Proj,
    /// Where (0, 0) is.
    pub origin: LatLon,
}

impl Projection {
    /// The transverse Mercator about `origin` (latitude within ±85°, longitude within ±180°).
    pub fn about(origin: LatLon) -> Result<Projection, String> {
        if !(origin.lat.abs() <= 85.0 && origin.lon.abs() <= 180.0) {
            return Err(format!(
                "origin ({}, {}) is not a latitude within ±85° and a longitude within ±180°",
                origin.lat, origin.lon
            ));
        }
        let wgs84 = Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").map_err(|e| e.to_string())?;
        let local = Proj::from_proj_string(&format!(
            "+proj=tmerc +lat_0={} +lon_0={} +k_0=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs",
            origin.lat, origin.lon
        ))
        .map_err(|e| e.to_string())?;
        Ok(Projection { wgs84, local, origin })
    }

    /// Local metres `(x east, y north)` of the point at `lon`, `lat` (degrees).
    pub fn to_local(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        transform(&self.wgs84, &self.local, &mut p).ok()?;
        (p.0.is_finite() && p.1.is_finite()).then_some((p.0, p.1))
    }

    /// Longitude and latitude (degrees) of the local point `(x, y)`.
    pub fn to_lonlat(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let mut p = (x, y, 0.0);
        transform(&self.local, &self.wgs84, &mut p).ok()?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        (lon.is_finite() && lat.is_finite()).then_some((lon, lat))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_zero_and_a_point_goes_there_and_back() {
        let p = Projection::about(LatLon {
            lat: 31.19,
            lon: 121.30,
        })
        .unwrap();
        let (x, y) = p.to_local(121.30, 31.19).unwrap();
        assert!(x.abs() < 1e-6 && y.abs() < 1e-6, "{x} {y}");
        let (x, y) = p.to_local(121.31, 31.20).unwrap();
        assert!(x > 900.0 && y > 1000.0, "east and north: {x} {y}");
        let (lon, lat) = p.to_lonlat(x, y).unwrap();
        assert!((lon - 121.31).abs() < 1e-9 && (lat - 31.20).abs() < 1e-9, "{lon} {lat}");
        assert!(Projection::about(LatLon { lat: 91.0, lon: 0.0 }).is_err());
    }
}
