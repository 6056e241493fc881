import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const webRoot = fileURLToPath(new URL('./src/web', import.meta.url));

/**
 * The console is a single-page app under src/web, built into dist/web and served by the
 * server at "/". Every asset is bundled: the console must work on a network with no internet.
 */
export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1600,
    rollupOptions: {
      output: {
        // Only the two heavy libraries get their own chunks, loaded with the pages that use
        // them; everything else is left to Rollup so that chunks never import each other in a cycle.
        manualChunks(id: string) {
          if (/node_modules[\\/](maplibre-gl|@maplibre|@mapbox|gcoord|earcut|kdbush|potpack|quickselect|tinyqueue|pbf|murmurhash-js|geojson-vt|supercluster)[\\/]/.test(id)) return 'maplibre';
          if (/node_modules[\\/](echarts|zrender)[\\/]/.test(id)) return 'echarts';
          return undefined;
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      // '/api/' with the slash: a bare '/api' prefix would also catch src/web/api.ts.
      '/api/': { target: 'http://localhost:8080', changeOrigin: false },
    },
  },
});
