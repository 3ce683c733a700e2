// Drives the blog demo with kitsu (an independent JSON:API client) and prints a JSON summary.
//
// Run by tests/test_clients_javascript.py against a live server:
//   JSONAPI_BASE_URL  the server's root URL, e.g. http://127.0.0.1:PORT
//   KITSU_FIXTURE     JSON: {"article", "doomedArticle", "authors": [..], "tags": [..]} (ids)
// Every step records what the client saw; the Python test compares it with the database.
import Kitsu from 'kitsu'

const baseURL = process.env.JSONAPI_BASE_URL
const fixture = JSON.parse(process.env.KITSU_FIXTURE)
const api = new Kitsu({
  baseURL,
  pluralize: false,
  camelCaseTypes: false,
  resourceCase: 'none',
  timeout: 10000
})

const ids = (data) => (data ?? []).map((item) => item.id)
const summary = {}

async function step (name, action) {
  try {
    summary[name] = await action()
  } catch (error) {
    summary[name] = {
      failed: true,
      message: String(error?.message ?? error),
      status: error?.response?.status ?? null,
      errors: error?.errors ?? null
    }
  }
}

const [author1, author2] = fixture.authors
const [tag1, tag2, tag3] = fixture.tags
const article = fixture.article
let created = null

await step('collection', async () => {
  const res = await api.get('articles', {
    params: {
      include: 'author,tags',
      fields: { articles: 'title,author,tags', authors: 'name' },
      sort: '-title',
      page: { number: 1, size: 2 }
    }
  })
  return {
    status: res.status,
    ids: ids(res.data),
    titles: res.data.map((item) => item.title),
    bodies: res.data.map((item) => item.body ?? null),
    authorNames: res.data.map((item) => item.author?.data?.name ?? null),
    authorEmails: res.data.map((item) => item.author?.data?.email ?? null),
    tagNames: res.data.map((item) => (item.tags?.data ?? []).map((tag) => tag.name)),
    count: res.meta?.count ?? null,
    next: res.links?.next ?? null
  }
})

await step('one', async () => {
  const res = await api.get(`articles/${article}`, { params: { include: 'comments' } })
  return {
    status: res.status,
    id: res.data.id,
    title: res.data.title,
    commentIds: ids(res.data.comments?.data),
    commentBodies: (res.data.comments?.data ?? []).map((comment) => comment.body)
  }
})

await step('relatedAuthor', async () => {
  const res = await api.get(`articles/${article}/author`)
  return { status: res.status, id: res.data.id, type: res.data.type, name: res.data.name }
})

await step('relatedTags', async () => {
  const res = await api.get(`articles/${article}/tags`, { params: { sort: '-name' } })
  return { status: res.status, ids: ids(res.data), names: res.data.map((tag) => tag.name) }
})

await step('relationshipTags', async () => {
  const res = await api.get(`articles/${article}/relationships/tags`)
  return { status: res.status, ids: ids(res.data), types: res.data.map((item) => item.type) }
})

await step('relationshipAuthor', async () => {
  const res = await api.get(`articles/${article}/relationships/author`)
  return { status: res.status, id: res.data?.id ?? null, type: res.data?.type ?? null }
})

await step('create', async () => {
  const res = await api.post('articles', {
    title: 'Written with kitsu',
    body: 'Sent by a JavaScript client.',
    author: { data: { type: 'authors', id: author1 } },
    tags: { data: [{ type: 'tags', id: tag1 }] }
  }, { params: { include: 'author,tags' } })
  created = res.data.id
  return {
    status: res.status,
    id: res.data.id,
    title: res.data.title,
    location: res.headers?.location ?? null,
    self: res.links?.self ?? null,
    authorId: res.data.author?.data?.id ?? null,
    tagIds: ids(res.data.tags?.data)
  }
})

await step('update', async () => {
  const res = await api.patch('articles', {
    id: created,
    title: 'Edited with kitsu',
    author: { data: { type: 'authors', id: author2 } }
  }, { params: { include: 'author' } })
  return {
    status: res.status,
    title: res.data.title,
    body: res.data.body,
    authorId: res.data.author?.data?.id ?? null
  }
})

await step('addTags', async () => {
  const res = await api.post(`articles/${created}/relationships/tags`, [{ id: tag2 }])
  return { status: res.status, ids: ids(res.data) }
})

await step('replaceTags', async () => {
  const res = await api.patch(`articles/${created}/relationships/tags`, [{ id: tag2 }, { id: tag3 }])
  return { status: res.status, ids: ids(res.data) }
})

await step('removeTags', async () => {
  const res = await api.delete(`articles/${created}/relationships/tags`, [tag3])
  return { status: res.status, ids: ids(res.data) }
})

await step('clearAuthor', async () => {
  const res = await api.patch(`articles/${created}/relationships/author`, null)
  return { status: res.status, data: res.data ?? null }
})

await step('delete', async () => {
  const res = await api.delete('articles', fixture.doomedArticle)
  return { status: res.status, data: res.data ?? null }
})

await step('missing', async () => {
  const res = await api.get(`articles/${fixture.doomedArticle}`)
  return { status: res.status, unexpected: res.data }
})

process.stdout.write(JSON.stringify(summary))
