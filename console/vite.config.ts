/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The server embeds console/dist and serves it under /console/ (an SPA: unknown paths answer
// index.html). Element Plus components are imported on demand from the templates; its one
// stylesheet is imported in main.ts. `@shared` is the mobile UI's generated bindings (enum values
// and their labels come from Rust): shared, never copied.
const api = process.env.GRIDMATE_CONSOLE_API ?? 'http://127.0.0.1:8477'

export default defineConfig({
  base: '/console/',
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: false })], dts: false })],
  resolve: {
    alias: {
      '@shared': fileURLToPath(new URL('../ui/src/api/bindings.ts', import.meta.url)),
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __INTLIFY_DROP_MESSAGE_COMPILER__: false,
  },
  clearScreen: false,
  server: { port: 5174, strictPort: true, proxy: { '/v1': api } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.spec.ts'],
    pool: 'threads',
    maxWorkers: 2,
  },
})
