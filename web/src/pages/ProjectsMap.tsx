// The map of the Projects page (its own chunk, with Leaflet 1.9): the outlines of the visible
// page's projects (geometry_wgs84 from GET /api/v1/projects?geometry=wgs84), each a link to its
// project (click; its name as a tooltip). Tiles come from /api/v1/app-config when the
// installation has them (PDOK BRT by default); without, the outlines are drawn on a plain
// background. The map is a visual aid: every project on it is also in the table.
import 'leaflet/dist/leaflet.css';
import * as L from 'leaflet';
import { useEffect, useRef } from 'preact/hooks';
import { appConfig } from '../lib/appconfig';
import { navigate } from '../lib/router';
import type { ProjectRow } from './Projects';

/** The Netherlands (WGS84), the view when no project on the page has a geometry. */
const NL: L.LatLngBoundsExpression = [
  [50.75, 3.3],
  [53.6, 7.25],
];

export default function ProjectsMap({ rows, label }: { rows: ProjectRow[]; label: string }) {
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const layer = useRef<L.FeatureGroup | null>(null);

  useEffect(() => {
    if (!el.current) return;
    // no animations: a list that changes quickly (paging, filters) must not find a map half-way
    const m = L.map(el.current, { zoomSnap: 0.25, scrollWheelZoom: false, attributionControl: true, zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false });
    m.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    m.fitBounds(NL);
    map.current = m;
    layer.current = L.featureGroup().addTo(m);
    let live = true;
    appConfig().then((c) => {
      const tiles = c.map?.tiles;
      if (live && tiles) L.tileLayer(tiles, { attribution: c.map?.attribution ?? '', maxZoom: 19, crossOrigin: false }).addTo(m);
    });
    return () => {
      live = false;
      m.stop();
      m.remove();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    const m = map.current;
    const g = layer.current;
    if (!m || !g) return;
    g.clearLayers();
    for (const p of rows) {
      if (!p.geometry_wgs84) continue;
      const outline = L.geoJSON(p.geometry_wgs84 as GeoJSON.GeoJsonObject, {
        style: { className: 'bs-outline', color: '#154273', weight: 2, fillColor: '#01689b', fillOpacity: 0.25 },
      });
      outline.bindTooltip(p.name, { sticky: true });
      outline.on('click', () => navigate(`/projects/${p.id}`));
      outline.addTo(g);
      outline.eachLayer((l) => {
        const e = (l as L.Path).getElement?.();
        if (e) e.setAttribute('data-project-id', p.id);
      });
    }
    const b = g.getBounds();
    if (b.isValid()) m.fitBounds(b, { padding: [24, 24], maxZoom: 16 });
    else m.fitBounds(NL);
  }, [rows]);

  return <div ref={el} class="bs-map" role="region" aria-label={label} data-testid="projects-map" />;
}
