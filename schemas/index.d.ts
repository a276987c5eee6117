/** The recipe envelope schema (JSON Schema 2020-12). */
export declare const recipeSchema: Record<string, unknown>;
/** Path of the generated bundle (envelope + every known plugin's options), for editors. */
export declare const bundlePath: string;
