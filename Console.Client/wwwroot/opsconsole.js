// Small page helpers that are not worth a module.
// opsConsoleBeep: the optional audible alert for a new Confirmed outage with critical customers.
window.opsConsoleBeep = () => {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.4);
    osc.onended = () => ctx.close();
  } catch (e) {
    // No audio device: the visible alert stays.
  }
};
