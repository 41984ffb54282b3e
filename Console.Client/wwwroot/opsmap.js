// OpsConsole network map: Leaflet on one canvas renderer, so that a feeder of thousands of
// segments and transformers pans smoothly. Meters are drawn only when zoomed in.
// Drawing data (GET drawingUrl):
//   { name, bounds: [w, s, e, n],
//     lines:  [[lon0, lat0, lon1, lat1, ...], ...],
//     nodes:  [[id, kind ("substation"|"feeder"|"device"|"transformer"), lon, lat, customers, subtype|null], ...],
//     meters: [[id, lon, lat, critical (0|1), mapped (0|1)], ...] }
// Outages are pushed by the page (setOutages) whenever the head-end's outages change.

const METER_MIN_ZOOM = 17;

const STYLE = {
  substation: { radius: 9, color: '#000', weight: 2, fillColor: '#263238', fillOpacity: 1 },
  feeder: { radius: 7, color: '#000', weight: 1, fillColor: '#455a64', fillOpacity: 1 },
  device: { radius: 4, color: '#bf360c', weight: 1, fillColor: '#e65100', fillOpacity: 0.95 },
  transformer: { color: '#0d47a1', weight: 1, fillColor: '#1565c0', fillOpacity: 0.8 },
  meter: { radius: 2.5, color: '#1b5e20', weight: 1, fillColor: '#2e7d32', fillOpacity: 0.9 },
  meterUnmapped: { radius: 3, color: '#6a1b9a', weight: 1, fillColor: '#ab47bc', fillOpacity: 0.9 },
  line: { color: '#78909c', weight: 1.5, opacity: 0.9, interactive: false },
  highlight: { radius: 14, color: '#ffab00', weight: 3, fill: false, interactive: false },
};

function transformerRadius(customers) {
  return Math.min(11, 3 + Math.sqrt(customers));
}

export async function create(element, dotnet, drawingUrl, tileUrl) {
  const renderer = L.canvas({ padding: 0.5, tolerance: 4 });
  const map = L.map(element, { preferCanvas: true, renderer, zoomSnap: 0.5, maxZoom: 22, attributionControl: !!tileUrl });
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 22 }).addTo(map);
  }

  const byId = new Map();
  const meterLayer = L.layerGroup();
  // Outages over the network: rings on the failed elements and their transformers (always), and
  // their meters, reporting (filled) or silent (hollow), with the other meters when zoomed in.
  const outageLayer = L.layerGroup().addTo(map);
  const outageMeterLayer = L.layerGroup();
  // Leaflet measures its container once; follow layout changes (drawer, header wrapping).
  const resize = new ResizeObserver(() => map.invalidateSize());
  resize.observe(element);
  // The overlay has a canvas of its own: a storm replaces it up to four times a second, and on the network's
  // canvas each replacement would repaint every segment and transformer too.
  const overlayRenderer = L.canvas({ padding: 0.5, tolerance: 4 });
  const state = { map, byId, highlight: null, resize, renderer: overlayRenderer, outageLayer, outageMeterLayer, outages: new Map(), element, dotnet };

  let data;
  try {
    const response = await fetch(drawingUrl, { credentials: 'same-origin' });
    if (!response.ok) {
      throw new Error(`${response.status} ${response.statusText}`);
    }
    data = await response.json();
  } catch (e) {
    element.dataset.state = 'failed';
    await dotnet.invokeMethodAsync('NetworkFailed', String(e.message || e));
    return api(state, element);
  }

  const [w, s, e, n] = data.bounds;
  if (w <= e && s <= n) {
    map.fitBounds([[s, w], [n, e]], { padding: [20, 20] });
  } else {
    map.setView([0, 0], 2);
  }

  // All line segments as one multi-polyline: one canvas path, no per-segment objects.
  const paths = data.lines.map(c => {
    const pts = new Array(c.length / 2);
    for (let i = 0; i < c.length; i += 2) pts[i / 2] = [c[i + 1], c[i]];
    return pts;
  });
  L.polyline(paths, { ...STYLE.line, renderer }).addTo(map);

  const select = id => dotnet.invokeMethodAsync('SelectElement', id);
  const counts = { transformers: 0, devices: 0, meters: 0, lines: data.lines.length };
  // Transformers under devices under feeders: draw big things first so small ones stay clickable.
  const order = { substation: 0, feeder: 1, transformer: 2, device: 3 };
  const nodes = data.nodes.slice().sort((a, b) => order[a[1]] - order[b[1]]);
  for (const [id, kind, lon, lat, customers] of nodes) {
    const style = kind === 'transformer' ? { ...STYLE.transformer, radius: transformerRadius(customers) } : STYLE[kind];
    const marker = L.circleMarker([lat, lon], { ...style, renderer }).on('click', () => select(id)).addTo(map);
    byId.set(id, marker);
    if (kind === 'transformer') counts.transformers++;
    if (kind === 'device') counts.devices++;
  }
  for (const [id, lon, lat, critical, mapped] of data.meters) {
    const style = mapped ? STYLE.meter : STYLE.meterUnmapped;
    const marker = L.circleMarker([lat, lon], { ...style, weight: critical ? 2 : 1, color: critical ? '#d50000' : style.color, renderer })
      .on('click', () => select(id));
    meterLayer.addLayer(marker);
    byId.set(id, marker);
    counts.meters++;
  }

  const syncMeters = () => {
    if (map.getZoom() >= METER_MIN_ZOOM) {
      if (!map.hasLayer(meterLayer)) map.addLayer(meterLayer);
      if (!map.hasLayer(outageMeterLayer)) map.addLayer(outageMeterLayer);
    } else {
      if (map.hasLayer(meterLayer)) map.removeLayer(meterLayer);
      if (map.hasLayer(outageMeterLayer)) map.removeLayer(outageMeterLayer);
    }
    element.dataset.metersVisible = map.hasLayer(meterLayer) ? 'true' : 'false';
  };
  map.on('zoomend', syncMeters);
  syncMeters();

  element.dataset.drawnTransformers = String(counts.transformers);
  element.dataset.drawnDevices = String(counts.devices);
  element.dataset.drawnMeters = String(counts.meters);
  element.dataset.drawnLines = String(counts.lines);
  element.dataset.state = 'drawn';
  await dotnet.invokeMethodAsync('NetworkDrawn', counts.transformers, counts.devices, counts.meters, counts.lines);
  return api(state, element);
}

function api(state, element) {
  return {
    // Rings the selected element and brings it into view.
    highlight(id) {
      if (state.highlight) {
        state.map.removeLayer(state.highlight);
        state.highlight = null;
      }
      const marker = id ? state.byId.get(id) : null;
      if (!marker) return;
      state.highlight = L.circleMarker(marker.getLatLng(), STYLE.highlight).addTo(state.map);
      if (!state.map.getBounds().contains(marker.getLatLng())) {
        state.map.panTo(marker.getLatLng());
      }
    },
    // Replaces the outage overlay: [{ id, state, level, elementId, color, transformers, reporting, silent }].
    setOutages(items) {
      const started = performance.now();
      const { map, byId, renderer, outageLayer, outageMeterLayer } = state;
      outageLayer.clearLayers();
      outageMeterLayer.clearLayers();
      state.outages = new Map();
      let unknown = 0;
      for (const o of items) {
        state.outages.set(o.id, o);
        const select = () => state.dotnet.invokeMethodAsync('SelectOutage', o.id);
        for (const t of o.transformers) {
          const m = byId.get(t);
          if (m) L.circleMarker(m.getLatLng(), { radius: m.getRadius() + 2, color: o.color, weight: 2, fillColor: o.color, fillOpacity: 0.7, renderer }).on('click', select).addTo(outageLayer);
        }
        const at = byId.get(o.elementId);
        if (at) {
          const isUnknown = o.level === 'Unknown';
          if (isUnknown) unknown++;
          L.circleMarker(at.getLatLng(), isUnknown
            ? { radius: 7, color: o.color, weight: 3, fillColor: '#6a1b9a', fillOpacity: 1, renderer }
            : { radius: 15, color: o.color, weight: 4, fill: false, renderer })
            .on('click', select).addTo(outageLayer);
        }
        for (const id of o.reporting) {
          const m = byId.get(id);
          if (m) L.circleMarker(m.getLatLng(), { radius: 4, color: o.color, weight: 2, fillColor: o.color, fillOpacity: 1, renderer }).on('click', select).addTo(outageMeterLayer);
        }
        for (const id of o.silent) {
          const m = byId.get(id);
          if (m) L.circleMarker(m.getLatLng(), { radius: 4, color: o.color, weight: 2, fill: false, renderer }).on('click', select).addTo(outageMeterLayer);
        }
      }
      state.element.dataset.outages = String(items.length);
      state.element.dataset.outageIds = items.map(o => o.id).join(' ');
      state.element.dataset.unknownOutages = String(unknown);
      // A User Timing entry per redraw for dev tools and PerformanceObservers (the storm-scale browser
      // test); only the latest is kept in the timeline, so a shift-long page does not accumulate them.
      performance.clearMeasures('opsmap.setOutages');
      performance.measure('opsmap.setOutages', { start: started, detail: { outages: items.length } });
    },
    // Fits the view to an outage's element and transformers.
    zoomToOutage(id) {
      const o = state.outages.get(id);
      if (!o) return false;
      const points = [o.elementId, ...o.transformers, ...o.reporting].map(x => state.byId.get(x)).filter(m => m).map(m => m.getLatLng());
      if (points.length === 0) return false;
      if (points.length === 1) state.map.setView(points[0], METER_MIN_ZOOM);
      else state.map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom: METER_MIN_ZOOM });
      return true;
    },
    zoomTo(id, zoom) {
      const marker = state.byId.get(id);
      if (marker) state.map.setView(marker.getLatLng(), zoom ?? METER_MIN_ZOOM);
    },
    dispose() {
      state.resize.disconnect();
      state.map.remove();
      delete element.dataset.state;
    },
  };
}
