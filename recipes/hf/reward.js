// Reward of recipes/hf/2-ppo.yaml: the AFINN-165 valence of each completion (the sum of its words'
// ratings, −5 to +5 each, from the `sentiment` package); 0 for a completion with no rated word.
'use strict';
const Sentiment = require('sentiment');
const analyzer = new Sentiment();

module.exports = (samples) => samples.map((s) => analyzer.analyze(s.completion).score);
