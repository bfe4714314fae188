import { createRouter, createWebHashHistory, type RouteRecordRaw, type Router } from 'vue-router'
import { RECORD_KINDS, type RecordKind } from './api/types'
import { useSessionStore } from './stores/session'

const isKind = (k: unknown): k is RecordKind => typeof k === 'string' && (RECORD_KINDS as readonly string[]).includes(k)

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./views/MainLayout.vue'),
    children: [
      { path: '', name: 'home', component: () => import('./views/HomeView.vue') },
      { path: 'tasks', name: 'tasks', component: () => import('./views/TasksView.vue') },
      {
        path: 'list/:kind',
        name: 'list',
        component: () => import('./views/RecordListView.vue'),
        props: true,
        beforeEnter: (to) => (isKind(to.params.kind) ? true : { name: 'home' }),
      },
      { path: 'me', name: 'me', component: () => import('./views/MeView.vue') },
    ],
  },
  {
    path: '/record/new/:kind',
    name: 'record-new',
    component: () => import('./views/RecordFormView.vue'),
    props: true,
    beforeEnter: (to) => (isKind(to.params.kind) ? true : { name: 'home' }),
  },
  {
    path: '/record/:kind/:id/edit',
    name: 'record-edit',
    component: () => import('./views/RecordFormView.vue'),
    props: true,
    beforeEnter: (to) => (isKind(to.params.kind) ? true : { name: 'home' }),
  },
  { path: '/record/:id', name: 'record', component: () => import('./views/RecordDetailView.vue'), props: true },
  { path: '/:rest(.*)*', redirect: '/' },
]

/** Hash history: the app is served from files under Tauri's custom protocol. */
export function createAppRouter(): Router {
  const router = createRouter({ history: createWebHashHistory(), routes })
  router.beforeEach(async (to) => {
    const session = useSessionStore()
    if (!session.loaded) await session.load().catch(() => null)
    if (to.meta.public) return session.signedIn ? { name: 'home' } : true
    return session.signedIn ? true : { name: 'login' }
  })
  return router
}
