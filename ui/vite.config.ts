import type { IncomingMessage } from 'node:http';
import { defineConfig, type ProxyOptions } from 'vite';
import react from '@vitejs/plugin-react';

// Local runner (system-api and friends) listens here; override with UCM_API_URL.
const API_TARGET = process.env.UCM_API_URL || 'http://127.0.0.1:8080';

// Paths that are always API (never a UI route).
const API_ONLY = ['/health', '/openapi.json', '/docs', '/auth', '/stores', '/uploads'];

// Module prefixes shared by the API (`/catalog/sku`, `/orders/{id}`, ...) and the UI routes
// (`/catalog`, `/orders`, ...). A browser navigation (Accept: text/html) gets the SPA; fetch/XHR
// calls go to the API.
const SHARED_PREFIXES = [
  '/catalog',
  '/prices',
  '/inventory',
  '/orders',
  '/members',
  '/marketing',
  '/reports',
  '/system',
];

const spaBypass = (req: IncomingMessage): string | undefined => {
  const accept = req.headers.accept || '';
  if (req.method === 'GET' && accept.includes('text/html')) return '/index.html';
  return undefined;
};

const proxy: Record<string, ProxyOptions> = {};
for (const p of API_ONLY) proxy[p] = { target: API_TARGET, changeOrigin: false };
for (const p of SHARED_PREFIXES) proxy[p] = { target: API_TARGET, changeOrigin: false, bypass: spaBypass };

// Vendor chunks for long-term caching. Rolldown groups also pull in the captured modules'
// dependencies, so the order (priority) goes from the lowest layer up: react → antd → pro-components.
const vendorGroups: Array<{ name: string; test: RegExp; priority: number }> = [
  { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler|react-router|react-router-dom|cookie|set-cookie-parser)[\\/]/, priority: 40 },
  { name: 'antd-icons', test: /node_modules[\\/]@ant-design[\\/](icons|icons-svg)[\\/]/, priority: 35 },
  { name: 'antd', test: /node_modules[\\/](antd|rc-[^\\/]+|@rc-component[\\/][^\\/]+|@ant-design[\\/](cssinjs|cssinjs-utils|colors|fast-color|react-slick)|@ctrl[\\/]tinycolor|dayjs)[\\/]/, priority: 30 },
  { name: 'antd-pro', test: /node_modules[\\/]@ant-design[\\/]pro-/, priority: 20 },
  { name: 'vendor', test: /node_modules[\\/]/, priority: 10 },
];

export default defineConfig({
  base: '/',
  plugins: [react()],
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy,
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
    proxy,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1536,
    rolldownOptions: {
      output: {
        codeSplitting: { groups: vendorGroups },
      },
    },
  },
});
