import { fileURLToPath, URL } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves dist/ at `/` and the API at `/api`; `vite dev` proxies /api to a running gateway
// (GATEWAY_URL, default the local stack's) so the console can be developed against real services.
export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      // The one list of Xi'an's districts (pure data, no Node imports), shared with the services.
      '@nuanyang/common/districts': fileURLToPath(
        new URL('../libs/common/src/districts.ts', import.meta.url),
      ),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080' },
  },
});
