// Routes, and the guard that keeps them to signed-in users of the right role: admins get 管理
// and the read-only views; dispatchers everything but 管理.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useSession } from './stores/session'

export type MenuRole = 'dispatcher' | 'admin'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    roles?: MenuRole[]
    menu?: string
  }
}

const both: MenuRole[] = ['dispatcher', 'admin']

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./views/ShellLayout.vue'),
    children: [
      // no screen of its own: the guard sends each role to its first screen
      { path: '', name: 'home', component: { render: () => null } },
      { path: 'intake', name: 'intake', component: () => import('./views/IntakeView.vue'), meta: { roles: ['dispatcher'], menu: 'intake' } },
      { path: 'cases', name: 'cases', component: () => import('./views/CasesView.vue'), meta: { roles: both, menu: 'cases' } },
      { path: 'supervision', name: 'supervision', component: () => import('./views/SupervisionView.vue'), meta: { roles: both, menu: 'supervision' } },
      { path: 'map', name: 'map', component: () => import('./views/MapView.vue'), meta: { roles: both, menu: 'map' } },
      { path: 'stats', name: 'stats', component: () => import('./views/StatsView.vue'), meta: { roles: both, menu: 'stats' } },
      { path: 'admin', name: 'admin', component: () => import('./views/AdminView.vue'), meta: { roles: ['admin'], menu: 'admin' } },
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory(import.meta.env.BASE_URL), routes })

router.beforeEach(async (to) => {
  const s = useSession()
  const session = await s.probe().catch(() => null)
  if (to.meta.public) return session && to.name === 'login' ? { name: 'home' } : true
  if (!session) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (to.name === 'home' || (to.meta.roles && !to.meta.roles.includes(session.role))) {
    return { name: session.role === 'dispatcher' ? 'intake' : 'cases' }
  }
  return true
})
