/* spyglass-photo-list.c: the grid's lazy list model. */
#include "spyglass-photo-list.h"

#include "spyglass-photo-item.h"

struct _SpyglassPhotoList {
    GObject parent_instance;
    SpyglassHits *entries;
    GPtrArray *items; /* SpyglassPhotoItem* or NULL, parallel to entries */
    GQueue made;      /* positions of the items held, oldest first */
    guint cache_limit;
};

static void spyglass_photo_list_model_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(SpyglassPhotoList, spyglass_photo_list, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL,
                                                    spyglass_photo_list_model_init))

/* Slots of items the grid never asked for are NULL. */
static void unref_item(gpointer item)
{
    if (item != NULL)
        g_object_unref(item);
}

static GType spyglass_photo_list_get_item_type(GListModel *model)
{
    return SPYGLASS_TYPE_PHOTO_ITEM;
}

static guint spyglass_photo_list_get_n_items(GListModel *model)
{
    return SPYGLASS_PHOTO_LIST(model)->entries->len;
}

static gpointer spyglass_photo_list_get_item(GListModel *model, guint position)
{
    SpyglassPhotoList *self = SPYGLASS_PHOTO_LIST(model);
    if (position >= self->entries->len)
        return NULL;
    SpyglassPhotoItem *item = g_ptr_array_index(self->items, position);
    if (item == NULL) {
        const SpyglassHit *entry = &g_array_index(self->entries, SpyglassHit, position);
        item = spyglass_photo_item_new_for_hit(entry);
        self->items->pdata[position] = item;
        g_queue_push_tail(&self->made, GUINT_TO_POINTER(position));
        while (self->cache_limit > 0 && self->made.length > self->cache_limit) {
            guint oldest = GPOINTER_TO_UINT(g_queue_pop_head(&self->made));
            g_clear_object((SpyglassPhotoItem **)&self->items->pdata[oldest]);
        }
    }
    return g_object_ref(item);
}

static void spyglass_photo_list_model_init(GListModelInterface *iface)
{
    iface->get_item_type = spyglass_photo_list_get_item_type;
    iface->get_n_items = spyglass_photo_list_get_n_items;
    iface->get_item = spyglass_photo_list_get_item;
}

static void spyglass_photo_list_finalize(GObject *object)
{
    SpyglassPhotoList *self = SPYGLASS_PHOTO_LIST(object);
    g_array_unref(self->entries);
    g_ptr_array_unref(self->items);
    g_queue_clear(&self->made);
    G_OBJECT_CLASS(spyglass_photo_list_parent_class)->finalize(object);
}

static void spyglass_photo_list_class_init(SpyglassPhotoListClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spyglass_photo_list_finalize;
}

static void spyglass_photo_list_init(SpyglassPhotoList *self)
{
    self->entries = spyglass_hits_new(0);
    self->items = g_ptr_array_new_with_free_func(unref_item);
}

SpyglassPhotoList *spyglass_photo_list_new(void)
{
    return g_object_new(SPYGLASS_TYPE_PHOTO_LIST, NULL);
}

void spyglass_photo_list_set_entries(SpyglassPhotoList *list, SpyglassHits *entries)
{
    g_return_if_fail(SPYGLASS_IS_PHOTO_LIST(list));
    guint removed = list->entries->len;
    g_array_unref(list->entries);
    list->entries = g_array_ref(entries);
    g_ptr_array_unref(list->items);
    list->items = g_ptr_array_new_full(entries->len, unref_item);
    g_ptr_array_set_size(list->items, entries->len);
    g_queue_clear(&list->made);
    g_list_model_items_changed(G_LIST_MODEL(list), 0, removed, entries->len);
}

void spyglass_photo_list_set_cache_limit(SpyglassPhotoList *list, guint n_items)
{
    g_return_if_fail(SPYGLASS_IS_PHOTO_LIST(list));
    list->cache_limit = n_items;
}
