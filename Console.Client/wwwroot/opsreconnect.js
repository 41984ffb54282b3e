// Starts Blazor (blazor.web.js is loaded with autostart="false") with a reconnection handler of our own instead of the
// stock "Rejoin failed" dialog: when the circuit's connection drops, a banner says the page's data is stale and since
// when ("Connection lost — data as of HH:MM:SS", the time of the last figures the header strip received, UTC as the
// timelines), the page is greyed out, and reconnection is retried by itself for as long as it takes. When the server
// answers but no longer knows the circuit (it was restarted, or dropped it), the page reloads: a fresh circuit.
(() => {
  const banner = () => document.getElementById('oc-connection');
  const delay = ms => new Promise(resolve => setTimeout(resolve, ms));
  let retrying = false;
  let lostAsOf = null;

  // The time of the last data the page shows: the header strip's data-as-of (updated with every push, once a second).
  const asOf = () => {
    const el = document.querySelector('[data-as-of]');
    return el && el.dataset.asOf ? el.dataset.asOf : null;
  };

  const show = attempt => {
    const b = banner();
    if (!b) return;
    b.querySelector('.oc-connection-text').textContent = 'Connection lost — data as of ' + (lostAsOf || 'unknown');
    b.querySelector('.oc-connection-retry').textContent = attempt > 0 ? ' · reconnecting (attempt ' + attempt + ')…' : ' · reconnecting…';
    b.hidden = false;
    document.body.classList.add('oc-stale');
  };

  const hide = () => {
    const b = banner();
    if (b) b.hidden = true;
    document.body.classList.remove('oc-stale');
    lostAsOf = null;
  };

  // Every second for the first ten tries, then every 5 s: a restart of the console takes some seconds.
  const retry = async () => {
    if (retrying) return;
    retrying = true;
    try {
      for (let attempt = 1; ; attempt++) {
        await delay(attempt <= 10 ? 1000 : 5000);
        show(attempt);
        let reconnected;
        try {
          reconnected = await Blazor.reconnect();
        } catch (e) {
          continue; // the server does not answer yet
        }

        if (reconnected) {
          hide();
        } else {
          location.reload(); // the server is back but the circuit is gone
        }

        return;
      }
    } finally {
      retrying = false;
    }
  };

  // A click on a board row carries the outage the row showed at that moment (OutageClickEventArgs): the row may be
  // re-rendered with another outage before the server handles the click.
  Blazor.registerCustomEventType('outageclick', {
    browserEventName: 'click',
    createEventArgs: e => {
      const cell = e.target instanceof Element ? e.target.closest('[data-outage-id]') : null;
      return { outageId: cell ? cell.getAttribute('data-outage-id') : null };
    },
  });

  Blazor.start({
    circuit: {
      reconnectionHandler: {
        onConnectionDown: () => {
          if (lostAsOf === null) lostAsOf = asOf();
          show(0);
          retry();
        },
        onConnectionUp: hide,
      },
    },
  });
})();
