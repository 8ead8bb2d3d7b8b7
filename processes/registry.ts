// Every process with its manifest: definition, parameters, plain reference
// implementation, equivalence cases and command-line stages (see manifest.ts).
// The shared equivalence suite runs every case of every process interpreted
// and fused against its reference; the command line takes its stages from here.
//
// A process registers its manifest when its module loads; importing the
// processes' index here loads them all, so this map is complete.
import './index.js';

export { manifests as registry, type Manifest as Registered } from './manifest/manifest.js';
