exports.polite = (samples) => samples.map((s) => (/please|thank/i.test(s.completion) ? 1 : 0));
