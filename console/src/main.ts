import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'element-plus/dist/index.css'
import 'leaflet/dist/leaflet.css'
import './styles.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import { onUnauthorized } from './api/http'
import { useSession } from './stores/session'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia).use(i18n).use(router)

// A 401 anywhere (idle or absolute expiry, sign-out elsewhere) returns to the sign-in page.
onUnauthorized(() => {
  useSession(pinia).expire()
  const here = router.currentRoute.value
  if (here.name !== 'login') void router.push({ name: 'login', query: { next: here.fullPath } })
})

app.mount('#app')
