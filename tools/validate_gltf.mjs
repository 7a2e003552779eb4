// Prints the Khronos glTF validator's JSON report for one .glb/.gltf file.
// Usage: node tools/validate_gltf.mjs FILE
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const validator = require("gltf-validator");
const file = process.argv[2];
const report = await validator.validateBytes(new Uint8Array(readFileSync(file)), { maxIssues: 200 });
console.log(JSON.stringify(report, null, 1));
