// OpsConsole network map: Leaflet on one canvas renderer, so that a feeder of thousands of
// segments and transformers pans smoothly. Meters are drawn only when zoomed in.
// Drawing data (GET drawingUrl):
//   { name, bounds: [w, s, e, n],
//     lines:  [[lon0, lat0, lon1, lat1, ...], ...],
//     nodes:  [[id, kind ("substation"|"feeder"|"device"|"transformer"), lon, lat, customers, subtype|null], ...],
//     meters: [[id, lon, lat, critical (0|1), mapped (0|1)], ...] }

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
  // Leaflet measures its container once; follow layout changes (drawer, header wrapping).
  const resize = new ResizeObserver(() => map.invalidateSize());
  resize.observe(element);
  const state = { map, byId, highlight: null, resize };

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
    } else if (map.hasLayer(meterLayer)) {
      map.removeLayer(meterLayer);
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
