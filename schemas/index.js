'use strict';
const path = require('node:path');

/** The recipe envelope schema (JSON Schema 2020-12). */
exports.recipeSchema = require('./recipe.schema.json');
/** Path of the generated bundle (envelope + every known plugin's options), for editors. */
exports.bundlePath = path.join(__dirname, 'recipe.bundle.schema.json');
