// OpsConsole network map: Leaflet, with the network loaded by area and level of detail, one canvas per
// 256-px tile, so that the browser only ever holds (and paints) what the view can show, at any network size.
// Feed (relative to the page, networkUrl = 'console/network/'):
//   GET summary.json  → { name, bounds: [w, s, e, n], tileSize, maxZoom, transformerMinZoom, meterMinZoom }
//   GET tiles/{z}/{x}/{y}.json (web-mercator tiles as Leaflet numbers them; positions in pixels of the tile,
//   from its top-left corner; points within 16 px of the tile come with it, so markers on an edge are drawn whole):
//     { z, x, y,
//       lines: [[lineIndex, x0, y0, x1, y1, ...], ...]            (or, where lines are denser than a pixel:)
//       raster: base64 of a 256×256 bitmap (row by row, least significant bit first), rasterLines: count,
//       substations|feeders|devices|transformers: [[id, x, y, customers, subtype|null], ...],
//       meters: [[id, x, y, critical (0|1), mapped (0|1)], ...],   (from meterMinZoom)
//       omitted: ['transformers', 'meters', ...] }                 (levels left out of this tile to keep it small)
// Outages are pushed by the page (setOutages) whenever the head-end's outages change, with where each element is.

// The centre of a silent meter behind a failed element (presumed out); the legend shows the same colour.
const PRESUMED_OUT = '#37474f';
const STYLE = {
  substation: { radius: 9, color: '#000', weight: 2, fillColor: '#263238', fillOpacity: 1 },
  feeder: { radius: 7, color: '#000', weight: 1, fillColor: '#455a64', fillOpacity: 1 },
  device: { radius: 4, color: '#bf360c', weight: 1, fillColor: '#e65100', fillOpacity: 0.95 },
  transformer: { color: '#0d47a1', weight: 1, fillColor: '#1565c0', fillOpacity: 0.8 },
  meter: { radius: 2.5, color: '#1b5e20', weight: 1, fillColor: '#2e7d32', fillOpacity: 0.9 },
  meterUnmapped: { radius: 3, color: '#6a1b9a', weight: 1, fillColor: '#ab47bc', fillOpacity: 0.9 },
  line: { color: '#78909c', weight: 1.5, opacity: 0.9 },
  highlight: { radius: 14, color: '#ffab00', weight: 3, fill: false, interactive: false },
};

// Painted bottom to top; a click takes the topmost element under it.
const NODE_LEVELS = ['substations', 'feeders', 'transformers', 'devices'];
const KIND_OF = { substations: 'substation', feeders: 'feeder', transformers: 'transformer', devices: 'device' };
const CLICK_TOLERANCE = 4;

function transformerRadius(customers) {
  return Math.min(11, 3 + Math.sqrt(customers));
}

function nodeStyle(level, customers) {
  const kind = KIND_OF[level];
  return kind === 'transformer' ? { ...STYLE.transformer, radius: transformerRadius(customers) } : STYLE[kind];
}

function meterStyle(critical, mapped) {
  const style = mapped ? STYLE.meter : STYLE.meterUnmapped;
  return critical ? { ...style, weight: 2, color: '#d50000' } : style;
}

function circle(ctx, x, y, s) {
  ctx.beginPath();
  ctx.arc(x, y, s.radius, 0, Math.PI * 2);
  if (s.fill !== false) {
    ctx.globalAlpha = s.fillOpacity;
    ctx.fillStyle = s.fillColor;
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  ctx.lineWidth = s.weight;
  ctx.strokeStyle = s.color;
  ctx.stroke();
}

const rasterCanvas = () => {
  const c = document.createElement('canvas');
  c.width = 256;
  c.height = 256;
  return c;
};

function paintTile(canvas, data, ratio) {
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  if (data.lines && data.lines.length) {
    ctx.beginPath();
    for (const l of data.lines) {
      ctx.moveTo(l[1], l[2]);
      for (let i = 3; i < l.length; i += 2) ctx.lineTo(l[i], l[i + 1]);
    }
    ctx.globalAlpha = STYLE.line.opacity;
    ctx.lineWidth = STYLE.line.weight;
    ctx.strokeStyle = STYLE.line.color;
    ctx.lineJoin = 'round';
    ctx.stroke();
    ctx.globalAlpha = 1;
  }
  if (data.raster) {
    const bits = atob(data.raster);
    const image = new ImageData(256, 256);
    const px = new Uint32Array(image.data.buffer);
    // #78909c at 0.9 opacity, little-endian RGBA.
    const colour = (230 << 24) | (0x9c << 16) | (0x90 << 8) | 0x78;
    for (let i = 0; i < bits.length; i++) {
      const b = bits.charCodeAt(i);
      if (b === 0) continue;
      for (let k = 0; k < 8; k++) if (b & (1 << k)) px[i * 8 + k] = colour;
    }
    const raster = rasterCanvas();
    raster.getContext('2d').putImageData(image, 0, 0);
    ctx.drawImage(raster, 0, 0, 256, 256);
  }
  for (const level of NODE_LEVELS) {
    for (const [, x, y, customers] of data[level] || []) circle(ctx, x, y, nodeStyle(level, customers));
  }
  for (const [, x, y, critical, mapped] of data.meters || []) circle(ctx, x, y, meterStyle(critical, mapped));
}

// The network layer: a Leaflet GridLayer whose tiles are canvases painted from the feed. The data of every
// tile held is kept (by key) for clicks and for the counts the page and tests read.
const NetworkLayer = L.GridLayer.extend({
  createTile(coords, done) {
    const size = this.getTileSize();
    const ratio = window.devicePixelRatio || 1;
    const canvas = L.DomUtil.create('canvas', 'oc-network-tile');
    canvas.width = size.x * ratio;
    canvas.height = size.y * ratio;
    const controller = new AbortController();
    canvas._ocAbort = controller;
    const key = this._tileCoordsToKey(coords);
    fetch(`${this.options.feed}tiles/${coords.z}/${coords.x}/${coords.y}.json`, { credentials: 'same-origin', signal: controller.signal })
      .then(r => {
        if (!r.ok) throw new Error(`tile ${key}: ${r.status} ${r.statusText}`);
        return r.json();
      })
      .then(data => {
        this.options.held.set(key, data);
        paintTile(canvas, data, ratio);
        done(null, canvas);
      })
      .catch(e => {
        if (e.name !== 'AbortError') done(e, canvas);
      });
    return canvas;
  },
});

export async function create(element, dotnet, networkUrl, tileUrl) {
  // The default canvas (the highlight ring) goes in first, so that the outage overlay's canvas lies above it.
  const renderer = L.canvas({ padding: 0.5, tolerance: CLICK_TOLERANCE });
  const map = L.map(element, { preferCanvas: true, renderer, zoomSnap: 0.5, maxZoom: 22, attributionControl: !!tileUrl });
  map.addLayer(renderer);
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 22 }).addTo(map);
  }

  // Outages over the network: rings on the failed elements and their transformers (always), and
  // their meters, reporting (filled) or silent (presumed out: ringed, dark centre, never the healthy green), with
  // the other meters when zoomed in.
  const outageLayer = L.layerGroup().addTo(map);
  const outageMeterLayer = L.layerGroup();
  // Unmapped meters (purple) each with a dashed line to its top suggested transformer.
  const unmappedLayer = L.layerGroup().addTo(map);
  // Leaflet measures its container once; follow layout changes (drawer, header wrapping).
  const resize = new ResizeObserver(() => map.invalidateSize());
  resize.observe(element);
  // The overlay has a canvas of its own: a storm replaces it up to four times a second.
  const overlayRenderer = L.canvas({ padding: 0.5, tolerance: CLICK_TOLERANCE });
  const held = new Map();
  const state = { map, held, network: null, meterMinZoom: 17, highlight: null, resize, renderer: overlayRenderer, outageLayer, outageMeterLayer, unmappedLayer, outages: new Map(), element, dotnet };

  let summary;
  try {
    const response = await fetch(`${networkUrl}summary.json`, { credentials: 'same-origin' });
    if (!response.ok) {
      throw new Error(`${response.status} ${response.statusText}`);
    }
    summary = await response.json();
  } catch (e) {
    element.dataset.state = 'failed';
    await dotnet.invokeMethodAsync('NetworkFailed', String(e.message || e));
    return api(state, element);
  }
  state.meterMinZoom = summary.meterMinZoom;

  const [w, s, e, n] = summary.bounds;
  const hasBounds = w <= e && s <= n;
  if (hasBounds) {
    map.fitBounds([[s, w], [n, e]], { padding: [20, 20] });
  } else {
    map.setView([0, 0], 2);
  }

  const network = new NetworkLayer({
    feed: networkUrl,
    held,
    tileSize: summary.tileSize,
    maxZoom: summary.maxZoom,
    maxNativeZoom: summary.maxZoom,
    noWrap: true,
    updateWhenZooming: false,
    updateInterval: 100,
    keepBuffer: 1,
    // No requests for the empty world around the network (16 px of markers beyond its edge are in the tiles inside).
    bounds: hasBounds ? L.latLngBounds([[s, w], [n, e]]).pad(0.02) : undefined,
  });
  network.on('tileunload', ev => {
    ev.tile._ocAbort?.abort();
    held.delete(network._tileCoordsToKey(ev.coords));
  });
  network.on('tileerror', ev => {
    element.dataset.tileErrors = String(Number(element.dataset.tileErrors || 0) + 1);
    console.warn('opsmap:', ev.error?.message || ev.error);
  });
  state.network = network;

  const select = id => dotnet.invokeMethodAsync('SelectElement', id);
  map.on('click', ev => {
    const hit = hitTest(state, ev.latlng);
    if (hit) select(hit);
  });
  // The pointer over a clickable element, checked at most once a frame.
  let hoverPending = null;
  map.on('mousemove', ev => {
    if (hoverPending) { hoverPending = ev.latlng; return; }
    hoverPending = ev.latlng;
    requestAnimationFrame(() => {
      element.style.cursor = hitTest(state, hoverPending) ? 'pointer' : '';
      hoverPending = null;
    });
  });

  const syncMeters = () => {
    const show = map.getZoom() >= state.meterMinZoom;
    if (show && !map.hasLayer(outageMeterLayer)) map.addLayer(outageMeterLayer);
    if (!show && map.hasLayer(outageMeterLayer)) map.removeLayer(outageMeterLayer);
  };
  map.on('zoomend', syncMeters);
  syncMeters();

  // 'load': every tile of the view is in. The first one is the first paint.
  const firstView = new Promise(resolve => network.once('load', resolve));
  network.on('load', () => countView(state));
  network.addTo(map);
  await firstView;
  element.dataset.state = 'drawn';
  performance.mark('opsmap.drawn');
  await dotnet.invokeMethodAsync('NetworkDrawn', state.meterMinZoom);
  return api(state, element);
}

// The tile zoom Leaflet loads at the map's zoom, and the tiles of the view at it.
function viewTiles(state) {
  const { map, network } = state;
  const z = Math.max(0, Math.min(network.options.maxZoom, Math.round(map.getZoom())));
  const b = map.getPixelBounds();
  const scale = map.getZoomScale(z, map.getZoom());
  const ts = network.options.tileSize;
  const x0 = Math.floor(b.min.x * scale / ts), x1 = Math.floor((b.max.x * scale - 1) / ts);
  const y0 = Math.floor(b.min.y * scale / ts), y1 = Math.floor((b.max.y * scale - 1) / ts);
  const keys = [];
  for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) keys.push(`${x}:${y}:${z}`);
  return { z, keys };
}

// What the view shows, as data attributes (distinct elements in the view's tiles) for people debugging and for tests.
function countView(state) {
  const { element, held } = state;
  const { z, keys } = viewTiles(state);
  const ids = { transformers: new Set(), devices: new Set(), meters: new Set(), lines: new Set() };
  let raster = 0, rasterLines = 0, omitted = 0, tiles = 0;
  for (const key of keys) {
    const data = held.get(key);
    if (!data) continue;
    tiles++;
    for (const level of ['transformers', 'devices', 'meters']) for (const item of data[level] || []) ids[level].add(item[0]);
    for (const l of data.lines || []) ids.lines.add(l[0]);
    if (data.raster) { raster++; rasterLines += data.rasterLines; }
    if (data.omitted) omitted++;
  }
  element.dataset.tileZoom = String(z);
  element.dataset.viewTiles = String(tiles);
  element.dataset.drawnTransformers = String(ids.transformers.size);
  element.dataset.drawnDevices = String(ids.devices.size);
  element.dataset.drawnMeters = String(ids.meters.size);
  element.dataset.drawnLines = String(ids.lines.size);
  element.dataset.rasterTiles = String(raster);
  element.dataset.rasterLines = String(rasterLines); // lines in raster tiles (one counted in each tile it crosses)
  element.dataset.reducedTiles = String(omitted);
  element.dataset.metersVisible = ids.meters.size > 0 ? 'true' : 'false';
}

// The id of the topmost network element drawn under a point of the map (within the click tolerance), or null.
function hitTest(state, latlng) {
  const { map, held, network } = state;
  if (!network) return null;
  const z = Math.max(0, Math.min(network.options.maxZoom, Math.round(map.getZoom())));
  const ts = network.options.tileSize;
  const p = map.project(latlng, z);
  const tx = Math.floor(p.x / ts), ty = Math.floor(p.y / ts);
  const data = held.get(`${tx}:${ty}:${z}`);
  if (!data) return null;
  const x = p.x - tx * ts, y = p.y - ty * ts;
  const tolerance = CLICK_TOLERANCE * map.getZoomScale(z, map.getZoom()); // screen pixels → tile pixels
  const near = (ix, iy, r) => (ix - x) * (ix - x) + (iy - y) * (iy - y) <= (r + tolerance) * (r + tolerance);
  const meters = data.meters || [];
  for (let i = meters.length - 1; i >= 0; i--) {
    const [id, mx, my, critical, mapped] = meters[i];
    if (near(mx, my, meterStyle(critical, mapped).radius)) return id;
  }
  for (let l = NODE_LEVELS.length - 1; l >= 0; l--) {
    const items = data[NODE_LEVELS[l]] || [];
    for (let i = items.length - 1; i >= 0; i--) {
      const [id, nx, ny, customers] = items[i];
      if (near(nx, ny, nodeStyle(NODE_LEVELS[l], customers).radius)) return id;
    }
  }
  return null;
}

function api(state, element) {
  return {
    // Rings the selected element (at lon, lat: the page knows where it is) and brings it into view.
    highlight(id, lon, lat) {
      if (state.highlight) {
        state.map.removeLayer(state.highlight);
        state.highlight = null;
      }
      if (!id) return;
      const at = L.latLng(lat, lon);
      state.highlight = L.circleMarker(at, STYLE.highlight).addTo(state.map);
      if (!state.map.getBounds().contains(at)) {
        state.map.panTo(at);
      }
    },
    // Replaces the outage overlay: [{ id, state, level, elementId, color, places: { element, transformers, reporting, silent } }]
    // (places: flat arrays of lon, lat (and customers below, for transformers)).
    setOutages(items) {
      const started = performance.now();
      const { renderer, outageLayer, outageMeterLayer } = state;
      outageLayer.clearLayers();
      outageMeterLayer.clearLayers();
      state.outages = new Map();
      let unknown = 0;
      for (const o of items) {
        state.outages.set(o.id, o);
        const places = o.places || { element: [], transformers: [], reporting: [], silent: [] };
        // An outage marker answers its own click (the element below it does not).
        const select = () => state.dotnet.invokeMethodAsync('SelectOutage', o.id);
        const t = places.transformers;
        for (let i = 0; i + 2 < t.length; i += 3) {
          L.circleMarker([t[i + 1], t[i]], { radius: transformerRadius(t[i + 2]) + 2, color: o.color, weight: 2, fillColor: o.color, fillOpacity: 0.7, renderer, bubblingMouseEvents: false })
            .on('click', select).addTo(outageLayer);
        }
        if (places.element.length === 2) {
          const isUnknown = o.level === 'Unknown';
          if (isUnknown) unknown++;
          L.circleMarker([places.element[1], places.element[0]], isUnknown
            ? { radius: 7, color: o.color, weight: 3, fillColor: '#6a1b9a', fillOpacity: 1, renderer, bubblingMouseEvents: false }
            : { radius: 15, color: o.color, weight: 4, fill: false, renderer, bubblingMouseEvents: false })
            .on('click', select).addTo(outageLayer);
        }
        const r = places.reporting;
        for (let i = 0; i + 1 < r.length; i += 2) {
          L.circleMarker([r[i + 1], r[i]], { radius: 4, color: o.color, weight: 2, fillColor: o.color, fillOpacity: 1, renderer, bubblingMouseEvents: false })
            .on('click', select).addTo(outageMeterLayer);
        }
        // A silent meter behind a failed element sent nothing either way: presumed out. Its dark fill covers the
        // network's green meter marker below it, so nothing inside the failed area looks healthy.
        const s = places.silent;
        for (let i = 0; i + 1 < s.length; i += 2) {
          L.circleMarker([s[i + 1], s[i]], { radius: 4, color: o.color, weight: 2, fillColor: PRESUMED_OUT, fillOpacity: 1, renderer, bubblingMouseEvents: false })
            .on('click', select).addTo(outageMeterLayer);
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
    // Replaces the unmapped-meter lines: a flat array [meter lon, meter lat, transformer lon, transformer lat, …].
    setUnmapped(lines) {
      const { renderer, unmappedLayer } = state;
      unmappedLayer.clearLayers();
      let n = 0;
      for (let i = 0; i + 3 < lines.length; i += 4, n++) {
        const meter = [lines[i + 1], lines[i]];
        L.polyline([meter, [lines[i + 3], lines[i + 2]]], { color: '#8e24aa', weight: 2, dashArray: '4 4', interactive: false, renderer }).addTo(unmappedLayer);
        L.circleMarker(meter, { ...STYLE.meterUnmapped, radius: 4, interactive: false, renderer }).addTo(unmappedLayer);
      }
      state.element.dataset.unmappedLines = String(n);
    },
    // Fits the view to an outage's element, transformers and reporting meters.
    zoomToOutage(id) {
      const o = state.outages.get(id);
      if (!o || !o.places) return false;
      const points = [];
      const add = (a, step) => { for (let i = 0; i + 1 < a.length; i += step) points.push(L.latLng(a[i + 1], a[i])); };
      add(o.places.element, 2);
      add(o.places.transformers, 3);
      add(o.places.reporting, 2);
      if (points.length === 0) return false;
      if (points.length === 1) state.map.setView(points[0], state.meterMinZoom);
      else state.map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom: state.meterMinZoom });
      return true;
    },
    dispose() {
      state.resize.disconnect();
      state.map.remove();
      delete element.dataset.state;
    },
  };
}
