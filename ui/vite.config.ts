/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { VantResolver } from '@vant/auto-import-resolver'
import Components from 'unplugin-vue-components/vite'

// The Tauri shell embeds ../ui/dist; relative asset paths work under its custom protocol.
// Vant on demand: each <van-*> tag used in a template is imported with its own styles; the function
// APIs (showConfirmDialog, showSuccessToast) are imported where used, with `vant/es/<name>/style`.
export default defineConfig({
  base: './',
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: false })],
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __INTLIFY_DROP_MESSAGE_COMPILER__: false,
  },
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.spec.ts'],
    setupFiles: ['tests/setup.ts'],
    // Vant's per-component style modules import .css files, which only Vite (not Node) can load.
    server: { deps: { inline: [/vant\/es\/[\w-]+\/style\//] } },
    pool: 'threads',
    maxWorkers: 2,
  },
})
