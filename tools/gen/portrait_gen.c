/*
 * portrait-gen: a deterministic sample-shop generator for the Portrait profiling engine.
 *
 * It writes an RDF knowledge graph of an imaginary e-commerce shop in N-Triples or Turtle,
 * using the Portrait vocabulary <https://w3id.org/portrait/ns#>: a three-level category
 * hierarchy, brands, feature tags, items, users and their behaviour events. The data carries
 * real signal: users have latent favourite categories and brands, activity and popularity
 * follow Zipf laws, sessions follow a view/click/cart/purchase funnel, and ratings and reviews
 * agree with the user's taste and the item's hidden quality. All randomness comes from an own
 * PRNG and all arithmetic is integer, so the same arguments give byte-identical output on any
 * machine.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Random numbers                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* The state of one xoshiro256** random stream. */
typedef struct {
    uint64_t s[4];
} rng_t;

/* Advances a splitmix64 state and returns the next well-mixed 64-bit value. */
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Seeds an independent xoshiro256** stream from the user seed, a stream kind and an index. */
static void rng_init(rng_t *r, uint64_t seed, uint64_t kind, uint64_t index)
{
    uint64_t x = seed;
    x = splitmix(&x) ^ (kind * 0xD6E8FEB86659FD93ULL);
    x = splitmix(&x) ^ (index * 0xA0761D6478BD642FULL);
    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix(&x);
    }
}

/* Rotates a 64-bit word left by k bits (0 < k < 64). */
static uint64_t rotl(uint64_t v, int k)
{
    return (v << k) | (v >> (64 - k));
}

/* Returns the next 64-bit output of a xoshiro256** stream. */
static uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Returns an unbiased random integer in [0, n) for n > 0, using rejection sampling. */
static uint64_t below(rng_t *r, uint64_t n)
{
    uint64_t cut = (0 - n) % n;
    for (;;) {
        uint64_t v = rng_next(r);
        if (v >= cut) {
            return v % n;
        }
    }
}

/* Returns a random integer in the inclusive range [lo, hi]. */
static uint64_t span(rng_t *r, uint64_t lo, uint64_t hi)
{
    return lo + below(r, hi - lo + 1);
}

/* Returns 1 with the given probability in percent, 0 otherwise. */
static int chance(rng_t *r, unsigned pct)
{
    return below(r, 100) < pct;
}

/* A table of cumulative integer Zipf weights; entry k holds the weights of ranks 1..k+1. */
typedef struct {
    uint64_t *cum;
    size_t n;
} zipf_t;

/* Fills a Zipf table of n ranks with weight 2^40/k (s = 1) or 2^40/k^2 (s = 2). */
static int zipf_init(zipf_t *z, size_t n, int s)
{
    z->n = n;
    z->cum = malloc((n ? n : 1) * sizeof *z->cum);
    if (!z->cum) {
        return -1;
    }
    uint64_t sum = 0;
    for (size_t k = 1; k <= n; k++) {
        uint64_t w = (1ULL << 40) / (s == 2 ? (uint64_t)k * k : (uint64_t)k);
        sum += w ? w : 1;
        z->cum[k - 1] = sum;
    }
    return 0;
}

/* Draws a Zipf-distributed rank in [0, n) using the first n entries of the table. */
static size_t zipf(const zipf_t *z, rng_t *r, size_t n)
{
    if (n > z->n) {
        n = z->n;
    }
    if (n <= 1) {
        return 0;
    }
    uint64_t v = below(r, z->cum[n - 1]);
    size_t lo = 0;
    size_t hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->cum[mid] > v) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

/* ------------------------------------------------------------------------------------------ */
/* Hand-written shop content                                                                  */
/* ------------------------------------------------------------------------------------------ */

enum { T_ELEC, T_FASHION, T_HOME, T_BEAUTY, T_SPORTS, T_BOOKS, T_TOYS, T_FOOD, NTOP };

/* How an item's model designation looks: a letter code, a volume number or a pack weight. */
enum { MODEL_CODE, MODEL_VOLUME, MODEL_WEIGHT };

/*
 * A top-level category: labels, model style, how popular it is with users overall, with women
 * and with men, a sentence for descriptions, and typical review sentences in both languages.
 */
typedef struct {
    const char *en, *zh;
    int model;
    unsigned weight, weight_f, weight_m;
    const char *use_en, *use_zh;
    const char *pos_en[2], *neg_en[2], *pos_zh[2], *neg_zh[2];
} top_t;

static const top_t tops[NTOP] = {
    {"Electronics", "电子产品", MODEL_CODE, 20, 14, 36,
     "Comes with a two-year warranty.", "享受两年质保。",
     {"Battery lasts long and it feels solid.", "Setup took two minutes and it works perfectly."},
     {"Battery drains within hours.", "Stopped working after two days."},
     {"电池很耐用，做工扎实。", "安装很简单，用起来很顺手。"},
     {"电池掉电太快。", "用了两天就坏了。"}},
    {"Fashion", "服饰鞋包", MODEL_CODE, 18, 34, 12,
     "Available in several sizes and colours.", "多种尺码和颜色可选。",
     {"Fits perfectly and the fabric feels great.", "Looks even better than in the photos."},
     {"Size runs small, had to return it.", "The colour faded after one wash."},
     {"尺码很合适，面料很舒服。", "实物比图片还好看。"},
     {"尺码偏小，只能退货。", "洗了一次就掉色。"}},
    {"Home & Kitchen", "家居厨房", MODEL_CODE, 14, 16, 12,
     "Made to make everyday life at home easier.", "让居家生活更轻松。",
     {"Sturdy and easy to clean.", "Looks great in our home."},
     {"Arrived scratched and wobbly.", "Hard to assemble and parts were missing."},
     {"很结实，也容易清洁。", "放在家里很好看。"},
     {"到货有划痕，还晃动。", "安装困难，还缺零件。"}},
    {"Beauty", "美妆个护", MODEL_CODE, 12, 36, 4,
     "Dermatologically tested.", "经皮肤科测试。",
     {"Gentle on my skin, no irritation.", "The texture is light and it lasts all day."},
     {"Caused a rash after one use.", "Smells strange and dries out quickly."},
     {"很温和，皮肤没有不适。", "质地轻薄，持妆一整天。"},
     {"用了一次就过敏了。", "味道奇怪，很快就干了。"}},
    {"Sports & Outdoors", "运动户外", MODEL_CODE, 12, 10, 24,
     "Built for training and the outdoors.", "专为训练和户外设计。",
     {"Held up well on a long hike.", "Comfortable during my workouts."},
     {"Tore on the first trip.", "Too heavy to carry around."},
     {"长途徒步也很耐用。", "运动时很舒服。"},
     {"第一次用就破了。", "太重了，不方便携带。"}},
    {"Books", "图书", MODEL_VOLUME, 8, 10, 8,
     "A favourite of readers.", "深受读者喜爱。",
     {"Hard to put down, finished it in a weekend.", "Well written and beautifully printed."},
     {"Boring plot, could not finish it.", "Poor translation and many typos."},
     {"读起来停不下来，一个周末就看完了。", "文笔很好，印刷精美。"},
     {"情节无聊，看不下去。", "翻译很差，错别字很多。"}},
    {"Toys & Games", "玩具游戏", MODEL_CODE, 8, 8, 8,
     "Suitable for ages 3 and up.", "适合3岁以上儿童。",
     {"My kids play with it every day.", "Safe materials and a sturdy build."},
     {"Broke within an hour of play.", "Pieces were missing from the box."},
     {"孩子每天都在玩。", "材料安全，做工结实。"},
     {"玩了一个小时就坏了。", "盒子里少了零件。"}},
    {"Food & Drink", "食品饮料", MODEL_WEIGHT, 8, 10, 8,
     "Best before twelve months from production.", "保质期十二个月。",
     {"Tastes great and arrived fresh.", "Rich flavour, will order again."},
     {"Arrived stale and tasteless.", "Way too sweet for me."},
     {"味道很好，到货很新鲜。", "口感浓郁，还会再买。"},
     {"到货就不新鲜了，没有味道。", "太甜了，吃不惯。"}},
};

/* A mid-level category under a top-level one. */
typedef struct {
    int top;
    const char *en, *zh;
} mid_t;

static const mid_t mids[] = {
    {T_ELEC, "Audio", "音频设备"},
    {T_ELEC, "Phones & accessories", "手机及配件"},
    {T_ELEC, "Computers", "电脑办公"},
    {T_FASHION, "Shoes", "鞋靴"},
    {T_FASHION, "Clothing", "服装"},
    {T_FASHION, "Bags", "箱包"},
    {T_HOME, "Kitchen", "厨房用品"},
    {T_HOME, "Furniture", "家具"},
    {T_HOME, "Bedding", "床上用品"},
    {T_BEAUTY, "Makeup", "彩妆"},
    {T_BEAUTY, "Skincare", "护肤"},
    {T_SPORTS, "Fitness", "健身"},
    {T_SPORTS, "Outdoor", "户外"},
    {T_SPORTS, "Cycling", "骑行"},
    {T_BOOKS, "Fiction", "小说"},
    {T_BOOKS, "Non-fiction", "非虚构"},
    {T_BOOKS, "Education", "教育"},
    {T_TOYS, "Toys", "玩具"},
    {T_TOYS, "Games", "游戏"},
    {T_FOOD, "Snacks", "零食"},
    {T_FOOD, "Beverages", "饮品"},
};

#define NMID ((int)(sizeof mids / sizeof mids[0]))

/* A hand-made leaf: parent, labels, title noun, price range and its fitting feature tags. */
typedef struct {
    int mid;
    const char *en, *zh, *noun;
    unsigned lo, hi;
    const char *features;
} leaf_t;

static const leaf_t leaves[] = {
    {0, "Headphones", "耳机", "Headphones", 29, 399,
     "wireless noise-cancelling waterproof lightweight foldable long-lasting"},
    {0, "Speakers", "音箱", "Speaker", 25, 499,
     "wireless waterproof portable smart long-lasting durable"},
    {1, "Smartphones", "智能手机", "Smartphone", 199, 1299,
     "fast-charging high-resolution waterproof lightweight durable long-lasting"},
    {1, "Phone cases", "手机壳", "Phone Case", 8, 49,
     "durable waterproof lightweight eco-friendly colourful anti-slip"},
    {1, "Power banks", "充电宝", "Power Bank", 15, 89,
     "fast-charging portable wireless lightweight durable long-lasting"},
    {1, "Chargers", "充电器", "Charger", 9, 59,
     "fast-charging wireless portable foldable durable"},
    {2, "Laptops", "笔记本电脑", "Laptop", 399, 2499,
     "lightweight high-resolution long-lasting fast-charging smart durable"},
    {2, "Keyboards", "键盘", "Keyboard", 19, 199,
     "mechanical wireless ergonomic durable portable foldable"},
    {2, "Mice", "鼠标", "Mouse", 9, 129,
     "wireless ergonomic lightweight portable durable"},
    {2, "Monitors", "显示器", "Monitor", 99, 899,
     "high-resolution ergonomic smart durable eco-friendly"},
    {3, "Running shoes", "跑鞋", "Running Shoes", 39, 199,
     "breathable lightweight anti-slip waterproof durable"},
    {3, "Boots", "靴子", "Boots", 49, 299,
     "waterproof insulated anti-slip durable vintage handmade"},
    {3, "Sandals", "凉鞋", "Sandals", 15, 89,
     "lightweight anti-slip waterproof breathable eco-friendly"},
    {4, "T-shirts", "T恤", "T-Shirt", 9, 49,
     "cotton breathable slim-fit quick-dry organic colourful"},
    {4, "Jeans", "牛仔裤", "Jeans", 29, 149,
     "slim-fit durable vintage cotton eco-friendly"},
    {4, "Jackets", "夹克", "Jacket", 49, 399,
     "waterproof insulated lightweight breathable vintage quick-dry"},
    {4, "Dresses", "连衣裙", "Dress", 29, 249,
     "cotton slim-fit vintage colourful handmade breathable"},
    {5, "Backpacks", "双肩包", "Backpack", 25, 199,
     "waterproof lightweight durable ergonomic foldable"},
    {5, "Handbags", "手提包", "Handbag", 39, 599,
     "handmade vintage classic durable waterproof"},
    {6, "Cookware", "锅具", "Frying Pan", 19, 249,
     "non-stick stainless durable eco-friendly lightweight"},
    {6, "Coffee makers", "咖啡机", "Coffee Maker", 39, 699,
     "smart portable stainless durable eco-friendly"},
    {6, "Kitchen knives", "厨房刀具", "Chef Knife", 15, 199,
     "stainless handmade durable ergonomic gift-boxed"},
    {7, "Office chairs", "办公椅", "Office Chair", 79, 599,
     "ergonomic breathable durable foldable"},
    {7, "Desks", "书桌", "Desk", 89, 799,
     "ergonomic smart foldable durable vintage"},
    {8, "Pillows", "枕头", "Pillow", 12, 99,
     "hypoallergenic cotton organic breathable ergonomic"},
    {8, "Duvets", "被子", "Duvet", 39, 299,
     "insulated hypoallergenic cotton lightweight organic"},
    {9, "Lipstick", "口红", "Lipstick", 9, 59,
     "long-lasting matte moisturising vegan waterproof"},
    {9, "Foundation", "粉底液", "Foundation", 12, 69,
     "long-lasting matte fragrance-free waterproof hypoallergenic"},
    {9, "Mascara", "睫毛膏", "Mascara", 8, 39,
     "waterproof long-lasting vegan hypoallergenic"},
    {10, "Moisturisers", "面霜", "Moisturiser", 12, 149,
     "organic fragrance-free hypoallergenic vegan imported"},
    {10, "Sunscreen", "防晒霜", "Sunscreen", 8, 49,
     "waterproof fragrance-free hypoallergenic lightweight moisturising"},
    {10, "Face masks", "面膜", "Face Mask", 5, 39,
     "moisturising organic hypoallergenic imported vegan gift-boxed"},
    {11, "Yoga mats", "瑜伽垫", "Yoga Mat", 15, 99,
     "anti-slip eco-friendly foldable lightweight durable"},
    {11, "Dumbbells", "哑铃", "Dumbbells", 19, 199,
     "durable anti-slip ergonomic portable"},
    {11, "Fitness trackers", "运动手环", "Fitness Tracker", 29, 249,
     "waterproof smart long-lasting lightweight fast-charging"},
    {12, "Tents", "帐篷", "Tent", 49, 599,
     "waterproof lightweight portable foldable durable"},
    {12, "Sleeping bags", "睡袋", "Sleeping Bag", 29, 249,
     "insulated lightweight waterproof portable"},
    {13, "Bicycles", "自行车", "Bicycle", 199, 1999,
     "lightweight foldable durable smart"},
    {13, "Bike helmets", "骑行头盔", "Bike Helmet", 25, 199,
     "lightweight breathable durable smart"},
    {14, "Novels", "长篇小说", "Novel", 8, 29,
     "bestselling award-winning hardcover classic illustrated"},
    {14, "Science fiction", "科幻小说", "Sci-Fi Novel", 8, 29,
     "bestselling award-winning hardcover classic illustrated"},
    {14, "Mysteries", "悬疑小说", "Mystery Novel", 8, 29,
     "bestselling award-winning hardcover classic"},
    {15, "Biographies", "传记", "Biography", 10, 39,
     "bestselling award-winning hardcover illustrated"},
    {15, "Cookbooks", "菜谱", "Cookbook", 12, 45,
     "illustrated bestselling hardcover vegan gluten-free"},
    {15, "History", "历史读物", "History Book", 10, 45,
     "illustrated award-winning hardcover classic bestselling"},
    {16, "Textbooks", "教材", "Textbook", 15, 99,
     "educational illustrated bestselling hardcover"},
    {16, "Language learning", "语言学习", "Language Course", 12, 59,
     "educational illustrated bestselling award-winning"},
    {17, "Building blocks", "积木", "Building Set", 15, 249,
     "educational colourful eco-friendly durable gift-boxed"},
    {17, "Dolls", "玩偶", "Doll", 9, 79,
     "handmade colourful gift-boxed eco-friendly vintage"},
    {17, "Remote control cars", "遥控车", "RC Car", 19, 199,
     "wireless fast-charging durable waterproof colourful"},
    {18, "Board games", "桌游", "Board Game", 15, 89,
     "award-winning educational bestselling gift-boxed classic"},
    {18, "Jigsaw puzzles", "拼图", "Jigsaw Puzzle", 9, 49,
     "colourful educational gift-boxed classic eco-friendly"},
    {19, "Chocolate", "巧克力", "Chocolate", 3, 29,
     "organic vegan sugar-free handmade imported gift-boxed"},
    {19, "Nuts", "坚果", "Mixed Nuts", 5, 39,
     "organic vegan gluten-free imported gift-boxed"},
    {20, "Coffee beans", "咖啡豆", "Coffee Beans", 8, 49,
     "organic imported eco-friendly gift-boxed"},
    {20, "Tea", "茶叶", "Tea", 6, 89,
     "organic imported gift-boxed eco-friendly handmade"},
};

#define NBASE_LEAF ((uint32_t)(sizeof leaves / sizeof leaves[0]))

/* A tag: an adjective or feature with English and Chinese labels. */
typedef struct {
    const char *en, *zh;
} tag_t;

/* Tags 0 and 1 (premium, budget) exclude each other and steer the price. */
enum { TAG_PREMIUM, TAG_BUDGET };

static const tag_t tags[] = {
    {"premium", "高端"},
    {"budget", "平价"},
    {"wireless", "无线"},
    {"waterproof", "防水"},
    {"noise-cancelling", "降噪"},
    {"fast-charging", "快充"},
    {"high-resolution", "高清"},
    {"portable", "便携"},
    {"lightweight", "轻便"},
    {"ergonomic", "人体工学"},
    {"smart", "智能"},
    {"durable", "耐用"},
    {"mechanical", "机械"},
    {"breathable", "透气"},
    {"slim-fit", "修身"},
    {"vintage", "复古"},
    {"anti-slip", "防滑"},
    {"cotton", "纯棉"},
    {"quick-dry", "速干"},
    {"insulated", "保暖"},
    {"stainless", "不锈钢"},
    {"non-stick", "不粘"},
    {"foldable", "可折叠"},
    {"organic", "有机"},
    {"vegan", "纯素"},
    {"handmade", "手工"},
    {"eco-friendly", "环保"},
    {"fragrance-free", "无香"},
    {"long-lasting", "持久"},
    {"hypoallergenic", "低敏"},
    {"moisturising", "保湿"},
    {"matte", "哑光"},
    {"bestselling", "畅销"},
    {"award-winning", "获奖"},
    {"illustrated", "插图版"},
    {"hardcover", "精装"},
    {"classic", "经典"},
    {"educational", "益智"},
    {"colourful", "多彩"},
    {"sugar-free", "无糖"},
    {"gluten-free", "无麸质"},
    {"imported", "进口"},
    {"gift-boxed", "礼盒装"},
};

#define NTAG ((uint32_t)(sizeof tags / sizeof tags[0]))

/* Five hand-made brands per top-level category, in top-level order. */
static const char *const base_brands[] = {
    "Auralis", "Voltra", "Pixelon", "Sonique", "Lumetra",
    "Northloom", "Stridewell", "Velvetta", "Urban Fable", "Kairo",
    "Hearthly", "Nestora", "Oakmere", "Casavio", "Brightpan",
    "Rosalune", "Dermaleaf", "Glowra", "Petalis", "Mirelle",
    "Trailforge", "Peakline", "Strivo", "Altura", "Velocis",
    "Harbor Press", "Inkwell Books", "Lantern House", "Paperkite", "Quill & Co",
    "Brickadoo", "Playnest", "Wonderkin", "Jollybox", "Cubbi",
    "Greenacre", "Teaberry", "Nutopia", "Cocoa Lane", "Morning Harvest",
};

#define NBASE_BRAND ((uint32_t)(sizeof base_brands / sizeof base_brands[0]))
#define BRANDS_PER_TOP 5u

/* Syllables for numbered extra brands when the catalogue outgrows the hand-made list. */
static const char *const syl_a[] = {
    "Al", "Bel", "Cor", "Dra", "El", "Fen", "Gal", "Hel", "Ir", "Jun", "Kor", "Lor", "Mar",
    "Nor", "Or", "Pel", "Quin", "Ros", "Sel", "Tor", "Ul", "Var", "Wen", "Xan", "Yor", "Zel",
};
static const char *const syl_b[] = {"a", "e", "i", "o", "u", "ae", "io"};
static const char *const syl_c[] = {
    "ra", "ton", "vex", "lis", "mo", "nix", "dor", "ly", "sa", "rin", "tek", "van",
};

#define NSYL_A (sizeof syl_a / sizeof syl_a[0])
#define NSYL_B (sizeof syl_b / sizeof syl_b[0])
#define NSYL_C (sizeof syl_c / sizeof syl_c[0])

static const char *const cities_zh[] = {
    "Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Hangzhou",
    "Chengdu", "Wuhan", "Nanjing", "Xi'an", "Chongqing",
};
static const char *const cities_en[] = {
    "London", "New York", "Toronto", "Sydney", "Singapore",
    "Berlin", "San Francisco", "Manchester", "Melbourne", "Vancouver",
};

#define NCITY 10u

/* Review phrase templates; "%s" is replaced by a tag word of the reviewed item. */
static const char *const tag_pos_en[] = {
    "Really %s, exactly as described.", "Lives up to the %s promise.",
};
static const char *const tag_neg_en[] = {
    "Sold as \"%s\" but it is not.", "Not %s at all, very disappointed.",
};
static const char *const tag_mid_en = "Somewhat %s, but nothing special.";
static const char *const tag_pos_zh[] = {"%s这一点做得很好。", "%s效果和描述一致，很满意。"};
static const char *const tag_neg_zh[] = {"宣传说“%s”，实际上并不是。", "%s方面很失望。"};
static const char *const tag_mid_zh = "%s还行，但不算出色。";
static const char *const gen_pos_en[] = {
    "Fast delivery.", "Good value for money.", "Would buy again.",
};
static const char *const gen_neg_en[] = {
    "Not recommended.", "Waste of money.", "Customer service never replied.",
};
static const char *const gen_pos_zh[] = {"质量很好，物流很快。", "性价比很高。", "会回购的。"};
static const char *const gen_neg_zh[] = {
    "质量太差，不推荐。", "完全是浪费钱。", "客服一直不回复。",
};

/* Relative weight of each hour of the day (UTC) for the start of a shopping session. */
static const unsigned hour_weight[24] = {
    2, 1, 1, 1, 1, 1, 2, 4, 6, 7, 8, 9, 10, 9, 8, 8, 8, 9, 11, 13, 15, 16, 12, 6,
};

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                     */
/* ------------------------------------------------------------------------------------------ */

enum { NS_PT, NS_RDF, NS_RDFS, NS_XSD, NS_SKOS, NS_SHOP, NNS };

static const char *const ns_iri[NNS] = {
    "https://w3id.org/portrait/ns#",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2001/XMLSchema#",
    "http://www.w3.org/2004/02/skos/core#",
    "https://shop.example/",
};
static const char *const ns_name[NNS] = {"pt", "rdf", "rdfs", "xsd", "skos", "shop"};

#define OUT_BUF (1u << 20)

/*
 * The output writer: a large buffer in front of the file, the format, the current subject as
 * rendered text, the last predicate (for Turtle grouping) and the running triple count. In dry
 * mode it only counts.
 */
typedef struct {
    FILE *fp;
    int turtle;
    int dry;
    int failed;
    int first;
    int last_ns;
    const char *last_local;
    size_t len;
    size_t subj_len;
    uint64_t triples;
    char subj[96];
    char buf[OUT_BUF];
} out_t;

/* Writes the buffered bytes to the output file and records any write error. */
static void flush(out_t *o)
{
    if (o->len && !o->failed && fwrite(o->buf, 1, o->len, o->fp) != o->len) {
        o->failed = errno ? errno : EIO;
    }
    o->len = 0;
}

/* Appends n bytes to the output buffer, flushing it first when they would not fit. */
static void put(out_t *o, const char *s, size_t n)
{
    if (o->len + n > OUT_BUF) {
        flush(o);
        if (n > OUT_BUF) {
            if (!o->failed && fwrite(s, 1, n, o->fp) != n) {
                o->failed = errno ? errno : EIO;
            }
            return;
        }
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* Appends a NUL-terminated string to the output buffer. */
static void puts_(out_t *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Formats an unsigned integer in decimal into p and returns the number of digits. */
static size_t fmt_u(char *p, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) {
        p[i] = tmp[n - 1 - i];
    }
    return n;
}

/* Appends an IRI from one of the known namespaces, prefixed in Turtle and full otherwise. */
static void put_iri(out_t *o, int ns, const char *local)
{
    if (o->turtle) {
        puts_(o, ns_name[ns]);
        put(o, ":", 1);
        puts_(o, local);
    } else {
        put(o, "<", 1);
        puts_(o, ns_iri[ns]);
        puts_(o, local);
        put(o, ">", 1);
    }
}

/*
 * Renders the IRI of a shop node such as https://shop.example/item/12 into p and returns its
 * length. Turtle uses the shop: prefix with the slash escaped as the grammar requires.
 */
static size_t fmt_node(const out_t *o, char *p, const char *kind, uint64_t id)
{
    size_t n = 0;
    size_t k = strlen(kind);
    if (o->turtle) {
        memcpy(p, "shop:", 5);
        n = 5;
        memcpy(p + n, kind, k);
        n += k;
        memcpy(p + n, "\\/", 2);
        n += 2;
        n += fmt_u(p + n, id);
    } else {
        size_t b = strlen(ns_iri[NS_SHOP]);
        p[n++] = '<';
        memcpy(p + n, ns_iri[NS_SHOP], b);
        n += b;
        memcpy(p + n, kind, k);
        n += k;
        p[n++] = '/';
        n += fmt_u(p + n, id);
        p[n++] = '>';
    }
    return n;
}

/* Starts a new subject; Turtle writes it once, N-Triples repeats it on every line. */
static void begin(out_t *o, const char *kind, uint64_t id)
{
    if (o->dry) {
        return;
    }
    o->subj_len = fmt_node(o, o->subj, kind, id);
    o->first = 1;
    if (o->turtle) {
        put(o, o->subj, o->subj_len);
    }
}

/* Finishes the current subject; in Turtle this closes the predicate list. */
static void end(out_t *o)
{
    if (!o->dry && o->turtle) {
        put(o, " .\n\n", 4);
    }
}

/*
 * Starts a triple of the current subject with the given predicate (a NULL local name means
 * rdf:type). Turtle groups the triples of a subject with ';' and repeats of a predicate with ','.
 */
static void pred(out_t *o, int ns, const char *local)
{
    o->triples++;
    if (o->dry) {
        return;
    }
    if (o->turtle) {
        int same = !o->first && ns == o->last_ns &&
                   (local == o->last_local ||
                    (local && o->last_local && strcmp(local, o->last_local) == 0));
        o->last_ns = ns;
        o->last_local = local;
        if (same) {
            put(o, ",", 1);
        } else {
            put(o, o->first ? " " : " ;\n    ", o->first ? 1 : 7);
            if (!local) {
                put(o, "a", 1);
            } else {
                put_iri(o, ns, local);
            }
        }
        o->first = 0;
    } else {
        put(o, o->subj, o->subj_len);
        put(o, " ", 1);
        put_iri(o, local ? ns : NS_RDF, local ? local : "type");
    }
    put(o, " ", 1);
}

/* Ends a triple after its object has been written. */
static void fin(out_t *o)
{
    if (!o->turtle) {
        put(o, " .\n", 3);
    }
}

/* Writes an object that is an IRI from a known namespace and ends the triple. */
static void obj_iri(out_t *o, int ns, const char *local)
{
    if (o->dry) {
        return;
    }
    put_iri(o, ns, local);
    fin(o);
}

/* Writes an object that is a shop node and ends the triple. */
static void obj_node(out_t *o, const char *kind, uint64_t id)
{
    if (o->dry) {
        return;
    }
    char p[96];
    put(o, p, fmt_node(o, p, kind, id));
    fin(o);
}

/*
 * Writes the quoted, escaped lexical form of a literal. Quotes, backslashes, line feeds and
 * carriage returns get backslash escapes; every other byte, including UTF-8, passes through.
 */
static void put_quoted(out_t *o, const char *s)
{
    put(o, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        const char *esc = NULL;
        switch (*s) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        default:
            break;
        }
        if (esc) {
            put(o, run, (size_t)(s - run));
            put(o, esc, 2);
            run = s + 1;
        }
    }
    put(o, run, (size_t)(s - run));
    put(o, "\"", 1);
}

/* Writes a plain string literal object and ends the triple. */
static void obj_str(out_t *o, const char *s)
{
    if (o->dry) {
        return;
    }
    put_quoted(o, s);
    fin(o);
}

/* Writes a language-tagged literal object and ends the triple. */
static void obj_lang(out_t *o, const char *s, const char *lang)
{
    if (o->dry) {
        return;
    }
    put_quoted(o, s);
    put(o, "@", 1);
    puts_(o, lang);
    fin(o);
}

/* Writes a literal with an XML Schema datatype (lexical form needs no escaping). */
static void obj_typed(out_t *o, const char *lex, size_t n, const char *type)
{
    if (o->dry) {
        return;
    }
    put(o, "\"", 1);
    put(o, lex, n);
    put(o, "\"^^", 3);
    put_iri(o, NS_XSD, type);
    fin(o);
}

/* Writes an xsd:integer literal object and ends the triple. */
static void obj_int(out_t *o, uint64_t v)
{
    char p[24];
    obj_typed(o, p, fmt_u(p, v), "integer");
}

/* Writes a price given in cents as an xsd:decimal literal such as "129.99". */
static void obj_price(out_t *o, uint32_t cents)
{
    char p[32];
    size_t n = fmt_u(p, cents / 100);
    p[n++] = '.';
    p[n++] = (char)('0' + cents / 10 % 10);
    p[n++] = (char)('0' + cents % 10);
    obj_typed(o, p, n, "decimal");
}

/* Writes two decimal digits of v into p. */
static void two(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

/* Writes an xsd:dateTime literal for t seconds after 2026-01-01T00:00:00Z (t < one year). */
static void obj_time(out_t *o, uint32_t t)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned day = t / 86400;
    unsigned sec = t % 86400;
    unsigned month = 0;
    while (month < 11 && day >= mdays[month]) {
        day -= mdays[month];
        month++;
    }
    char p[21];
    memcpy(p, "2026-", 5);
    two(p + 5, month + 1);
    p[7] = '-';
    two(p + 8, day + 1);
    p[10] = 'T';
    two(p + 11, sec / 3600);
    p[13] = ':';
    two(p + 14, sec / 60 % 60);
    p[16] = ':';
    two(p + 17, sec % 60);
    p[19] = 'Z';
    obj_typed(o, p, 20, "dateTime");
}

/* Writes the Turtle prefix block; N-Triples has no header. */
static void header(out_t *o, uint64_t seed, uint32_t users, uint32_t items)
{
    if (o->dry || !o->turtle) {
        return;
    }
    char p[128];
    puts_(o, "# Portrait sample shop written by portrait-gen (seed ");
    put(o, p, fmt_u(p, seed));
    puts_(o, ", users ");
    put(o, p, fmt_u(p, users));
    puts_(o, ", items ");
    put(o, p, fmt_u(p, items));
    puts_(o, ").\n");
    for (int i = 0; i < NNS; i++) {
        puts_(o, "@prefix ");
        puts_(o, ns_name[i]);
        puts_(o, ": <");
        puts_(o, ns_iri[i]);
        puts_(o, "> .\n");
    }
    puts_(o, "\n");
}

/* ------------------------------------------------------------------------------------------ */
/* Small string builder for titles, descriptions and reviews                                  */
/* ------------------------------------------------------------------------------------------ */

/* A fixed-size, always NUL-terminated string buffer. */
typedef struct {
    char s[1024];
    size_t n;
} sb_t;

/* Empties a string builder. */
static void sb_clear(sb_t *b)
{
    b->n = 0;
    b->s[0] = '\0';
}

/* Appends n bytes to a string builder, truncating at its capacity. */
static void sb_put(sb_t *b, const char *s, size_t n)
{
    if (n > sizeof b->s - 1 - b->n) {
        n = sizeof b->s - 1 - b->n;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

/* Appends a NUL-terminated string to a string builder. */
static void sb_add(sb_t *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* Appends an unsigned integer in decimal to a string builder. */
static void sb_u(sb_t *b, uint64_t v)
{
    char p[24];
    sb_put(b, p, fmt_u(p, v));
}

/* Appends a string with its first character changed to upper case if it is an ASCII letter. */
static void sb_cap(sb_t *b, const char *s)
{
    size_t start = b->n;
    sb_add(b, s);
    if (start < b->n && b->s[start] >= 'a' && b->s[start] <= 'z') {
        b->s[start] = (char)(b->s[start] - 'a' + 'A');
    }
}

/*
 * Appends a title-case noun in running-text case: a capital that starts a word becomes lower
 * case unless the next letter is a capital too, so "Face Mask" gives "face mask", "T-Shirt"
 * gives "t-shirt" and "RC Car" gives "RC car".
 */
static void sb_lower(sb_t *b, const char *s)
{
    size_t start = b->n;
    sb_add(b, s);
    for (size_t i = start; i < b->n; i++) {
        char c = b->s[i];
        char next = b->s[i + 1];
        int word = i == start || b->s[i - 1] == ' ' || b->s[i - 1] == '-';
        if (word && c >= 'A' && c <= 'Z' && !(next >= 'A' && next <= 'Z')) {
            b->s[i] = (char)(c - 'A' + 'a');
        }
    }
}

/* Appends a template with every "%s" replaced by word. */
static void sb_tpl(sb_t *b, const char *tpl, const char *word)
{
    const char *p = tpl;
    const char *hit;
    while ((hit = strstr(p, "%s")) != NULL) {
        sb_put(b, p, (size_t)(hit - p));
        sb_add(b, word);
        p = hit + 2;
    }
    sb_add(b, p);
}

/* ------------------------------------------------------------------------------------------ */
/* The generated world                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* Stream kinds for rng_init, so that every part of the world has its own random sequence. */
enum { STREAM_CATALOG = 1, STREAM_USER = 2, STREAM_ACTIVITY = 3 };

#define MAX_SESSIONS 100u
#define MAX_VIEWS 12u
#define MAX_PENDING 64u
#define MAX_FEATURES 8u
#define WINDOW_DAYS 181u

/* An item: leaf category, brand, price in cents, model number, tags and hidden quality (0-2). */
typedef struct {
    uint32_t leaf;
    uint32_t brand;
    uint32_t price;
    uint16_t model;
    uint8_t ntags;
    uint8_t quality;
    uint8_t tags[4];
} item_t;

/* The catalogue of one run plus the lookup tables that the behaviour simulation needs. */
typedef struct {
    uint64_t seed;
    uint32_t users, items;
    uint32_t nleaf, nbrand;
    uint64_t events;
    item_t *item;
    uint32_t *leaf_off, *leaf_items;
    uint32_t *top_leaf_off, *top_leaves;
    uint32_t *top_brand_off, *top_brands;
    uint8_t features[NBASE_LEAF][MAX_FEATURES];
    uint8_t nfeatures[NBASE_LEAF];
    zipf_t z1, z2;
} world_t;

/* Returns the top-level category of leaf j (leaves above the hand-made ones are copies). */
static int leaf_top(uint32_t j)
{
    return mids[leaves[j % NBASE_LEAF].mid].top;
}

/* Returns the top-level category that brand b belongs to. */
static int brand_top(uint32_t b)
{
    if (b < NBASE_BRAND) {
        return (int)(b / BRANDS_PER_TOP);
    }
    return (int)((b - NBASE_BRAND) % NTOP);
}

/* Appends the name of brand b; extra brands are made of syllables, numbered when exhausted. */
static void sb_brand(sb_t *b, uint32_t brand)
{
    if (brand < NBASE_BRAND) {
        sb_add(b, base_brands[brand]);
        return;
    }
    uint32_t x = brand - NBASE_BRAND;
    uint32_t combos = (uint32_t)(NSYL_A * NSYL_B * NSYL_C);
    uint32_t k = x % combos;
    sb_add(b, syl_a[k % NSYL_A]);
    sb_add(b, syl_b[k / NSYL_A % NSYL_B]);
    sb_add(b, syl_c[k / (NSYL_A * NSYL_B)]);
    if (x >= combos) {
        sb_add(b, " ");
        sb_u(b, x / combos + 1);
    }
}

/* Category node ids: top-level categories first, then mid-level ones, then the leaves. */
static uint32_t leaf_cat(uint32_t j)
{
    return (uint32_t)(NTOP + NMID) + j + 1;
}

/* Returns 1 if item it carries tag t. */
static int has_tag(const item_t *it, uint32_t t)
{
    for (unsigned i = 0; i < it->ntags; i++) {
        if (it->tags[i] == t) {
            return 1;
        }
    }
    return 0;
}

/*
 * Chooses 2-4 distinct feature tags that fit the item's leaf category, then sometimes adds
 * premium or budget when there is room; the first tag gives the adjective of the title.
 */
static void pick_tags(const world_t *w, rng_t *r, item_t *it)
{
    uint32_t base = it->leaf % NBASE_LEAF;
    uint8_t pool[MAX_FEATURES];
    unsigned n = w->nfeatures[base];
    memcpy(pool, w->features[base], n);
    unsigned want = (unsigned)span(r, 2, 4);
    it->ntags = 0;
    for (unsigned i = 0; i < n && it->ntags < want; i++) {
        unsigned j = i + (unsigned)below(r, n - i);
        uint8_t t = pool[j];
        pool[j] = pool[i];
        pool[i] = t;
        it->tags[it->ntags++] = t;
    }
    unsigned x = (unsigned)below(r, 100);
    if (it->ntags < 4 && x < 35) {
        it->tags[it->ntags++] = x < 20 ? TAG_PREMIUM : TAG_BUDGET;
    }
}

/* Resolves the feature tag names of every hand-made leaf; a typo is an internal error. */
static void index_features(world_t *w)
{
    for (uint32_t j = 0; j < NBASE_LEAF; j++) {
        const char *p = leaves[j].features;
        w->nfeatures[j] = 0;
        while (*p) {
            size_t len = strcspn(p, " ");
            uint32_t g = 0;
            while (g < NTAG && (strlen(tags[g].en) != len || strncmp(tags[g].en, p, len) != 0)) {
                g++;
            }
            if (g == NTAG || w->nfeatures[j] == MAX_FEATURES) {
                fprintf(stderr, "portrait-gen: internal error in the tags of %s\n", leaves[j].en);
                exit(1);
            }
            w->features[j][w->nfeatures[j]++] = (uint8_t)g;
            p += len;
            p += *p == ' ';
        }
    }
}

/* Chooses a price in cents inside the leaf's range; premium is dear, budget is cheap. */
static uint32_t pick_price(rng_t *r, const item_t *it)
{
    const leaf_t *lf = &leaves[it->leaf % NBASE_LEAF];
    uint32_t lo = lf->lo;
    uint32_t hi = lf->hi;
    uint32_t third = (hi - lo) / 3;
    uint32_t units;
    if (has_tag(it, TAG_PREMIUM)) {
        units = (uint32_t)span(r, hi - third, hi);
    } else if (has_tag(it, TAG_BUDGET)) {
        units = (uint32_t)span(r, lo, lo + third);
    } else {
        uint32_t a = (uint32_t)span(r, lo, hi);
        uint32_t b = (uint32_t)span(r, lo, hi);
        units = a < b ? a : b;
    }
    static const uint32_t endings[3] = {1, 0, 51};
    return units * 100 - endings[below(r, 3)];
}

/* Allocates n 32-bit words, returning NULL on failure. */
static uint32_t *words(size_t n)
{
    return malloc((n ? n : 1) * sizeof(uint32_t));
}

/*
 * Builds the catalogue: leaf and brand counts scaled to the number of items, the feature tags
 * of every leaf, the items themselves and, per leaf, a shuffled popularity order.
 */
static int build(world_t *w)
{
    rng_t r;
    rng_init(&r, w->seed, STREAM_CATALOG, 0);
    w->nleaf = w->items / 60 > NBASE_LEAF ? w->items / 60 : NBASE_LEAF;
    w->nbrand = w->items / 120 > NBASE_BRAND ? w->items / 120 : NBASE_BRAND;

    index_features(w);

    w->item = malloc((w->items ? w->items : 1) * sizeof *w->item);
    w->leaf_off = words(w->nleaf + 1);
    w->leaf_items = words(w->items);
    w->top_leaf_off = words(NTOP + 1);
    w->top_leaves = words(w->nleaf);
    w->top_brand_off = words(NTOP + 1);
    w->top_brands = words(w->nbrand);
    if (!w->item || !w->leaf_off || !w->leaf_items || !w->top_leaf_off || !w->top_leaves ||
        !w->top_brand_off || !w->top_brands) {
        return -1;
    }

    /* Group leaves and brands by top-level category (counting sort). */
    uint32_t cnt[NTOP + 1];
    memset(cnt, 0, sizeof cnt);
    for (uint32_t j = 0; j < w->nleaf; j++) {
        cnt[leaf_top(j) + 1]++;
    }
    for (int t = 0; t < NTOP; t++) {
        cnt[t + 1] += cnt[t];
    }
    memcpy(w->top_leaf_off, cnt, sizeof cnt);
    for (uint32_t j = 0; j < w->nleaf; j++) {
        w->top_leaves[cnt[leaf_top(j)]++] = j;
    }
    memset(cnt, 0, sizeof cnt);
    for (uint32_t b = 0; b < w->nbrand; b++) {
        cnt[brand_top(b) + 1]++;
    }
    for (int t = 0; t < NTOP; t++) {
        cnt[t + 1] += cnt[t];
    }
    memcpy(w->top_brand_off, cnt, sizeof cnt);
    for (uint32_t b = 0; b < w->nbrand; b++) {
        w->top_brands[cnt[brand_top(b)]++] = b;
    }

    uint32_t max_brands = 1;
    for (int t = 0; t < NTOP; t++) {
        uint32_t n = w->top_brand_off[t + 1] - w->top_brand_off[t];
        max_brands = n > max_brands ? n : max_brands;
    }
    if (zipf_init(&w->z2, MAX_SESSIONS, 2) != 0) {
        return -1;
    }

    /* Items: leaf, brand (Zipf within the top-level category), tags, quality, price, model. */
    memset(w->leaf_off, 0, (w->nleaf + 1) * sizeof(uint32_t));
    zipf_t zb;
    if (zipf_init(&zb, max_brands, 1) != 0) {
        return -1;
    }
    for (uint32_t i = 0; i < w->items; i++) {
        item_t *it = &w->item[i];
        it->leaf = (w->items >= w->nleaf && i < w->nleaf) ? i : (uint32_t)below(&r, w->nleaf);
        int top = leaf_top(it->leaf);
        uint32_t off = w->top_brand_off[top];
        uint32_t nb = w->top_brand_off[top + 1] - off;
        it->brand = w->top_brands[off + zipf(&zb, &r, nb)];
        pick_tags(w, &r, it);
        unsigned q = (unsigned)below(&r, 100);
        it->quality = (uint8_t)(q < 20 ? 0 : q < 80 ? 1 : 2);
        it->price = pick_price(&r, it);
        if (tops[top].model == MODEL_VOLUME) {
            it->model = (uint16_t)span(&r, 1, 12);
        } else if (tops[top].model == MODEL_WEIGHT) {
            static const uint16_t grams[5] = {100, 200, 250, 500, 1000};
            it->model = grams[below(&r, 5)];
        } else {
            it->model = (uint16_t)(span(&r, 1, 89) * 10);
        }
        w->leaf_off[it->leaf + 1]++;
    }
    free(zb.cum);

    /* Items per leaf, shuffled so that popularity rank and item number are unrelated. */
    uint32_t max_leaf = 1;
    for (uint32_t j = 0; j < w->nleaf; j++) {
        max_leaf = w->leaf_off[j + 1] > max_leaf ? w->leaf_off[j + 1] : max_leaf;
        w->leaf_off[j + 1] += w->leaf_off[j];
    }
    uint32_t *fill = words(w->nleaf);
    if (!fill) {
        return -1;
    }
    memcpy(fill, w->leaf_off, w->nleaf * sizeof(uint32_t));
    for (uint32_t i = 0; i < w->items; i++) {
        w->leaf_items[fill[w->item[i].leaf]++] = i;
    }
    free(fill);
    for (uint32_t j = 0; j < w->nleaf; j++) {
        uint32_t *a = w->leaf_items + w->leaf_off[j];
        uint32_t n = w->leaf_off[j + 1] - w->leaf_off[j];
        for (uint32_t k = n; k > 1; k--) {
            uint32_t m = (uint32_t)below(&r, k);
            uint32_t t = a[k - 1];
            a[k - 1] = a[m];
            a[m] = t;
        }
    }
    /* One table serves both item popularity within a leaf and brand popularity. */
    return zipf_init(&w->z1, max_leaf > max_brands ? max_leaf : max_brands, 1);
}

/* Releases everything build() allocated. */
static void destroy(world_t *w)
{
    free(w->item);
    free(w->leaf_off);
    free(w->leaf_items);
    free(w->top_leaf_off);
    free(w->top_leaves);
    free(w->top_brand_off);
    free(w->top_brands);
    free(w->z1.cum);
    free(w->z2.cum);
    memset(w, 0, sizeof *w);
}

/* Writes a category node with its labels, its SKOS typing and its parent. */
static void emit_cat(out_t *o, uint32_t id, const char *en, const char *zh, uint32_t copy,
                     uint32_t parent)
{
    sb_t b;
    begin(o, "cat", id);
    pred(o, NS_RDF, NULL);
    obj_iri(o, NS_PT, "Category");
    pred(o, NS_RDF, NULL);
    obj_iri(o, NS_SKOS, "Concept");
    sb_clear(&b);
    sb_add(&b, en);
    if (copy) {
        sb_add(&b, " ");
        sb_u(&b, copy + 1);
    }
    pred(o, NS_RDFS, "label");
    obj_lang(o, b.s, "en");
    sb_clear(&b);
    sb_add(&b, zh);
    if (copy) {
        sb_add(&b, " ");
        sb_u(&b, copy + 1);
    }
    pred(o, NS_RDFS, "label");
    obj_lang(o, b.s, "zh");
    if (parent) {
        pred(o, NS_SKOS, "broader");
        obj_node(o, "cat", parent);
    }
    end(o);
}

/* Appends the model designation of an item: a code, a volume number or a pack weight. */
static void sb_model(sb_t *b, const item_t *it, int zh)
{
    int kind = tops[leaf_top(it->leaf)].model;
    if (kind == MODEL_VOLUME) {
        sb_add(b, zh ? "第" : "Vol. ");
        sb_u(b, it->model);
        if (zh) {
            sb_add(b, "卷");
        }
    } else if (kind == MODEL_WEIGHT) {
        sb_u(b, it->model);
        sb_add(b, zh ? "克" : "g");
    } else {
        sb_t name;
        sb_clear(&name);
        sb_brand(&name, it->brand);
        char code[3] = {'X', 'X', '\0'};
        int k = 0;
        for (size_t i = 0; i < name.n && k < 2; i++) {
            char c = name.s[i];
            if (c >= 'a' && c <= 'z') {
                c = (char)(c - 'a' + 'A');
            }
            if (c >= 'A' && c <= 'Z') {
                code[k++] = c;
            }
        }
        sb_add(b, code);
        sb_add(b, "-");
        sb_u(b, it->model);
    }
}

/* Writes one item: titles and descriptions in English and Chinese, price, category, tags. */
static void emit_item(out_t *o, const world_t *w, uint32_t i)
{
    const item_t *it = &w->item[i];
    const leaf_t *lf = &leaves[it->leaf % NBASE_LEAF];
    const top_t *tp = &tops[leaf_top(it->leaf)];
    sb_t b;
    sb_clear(&b);
    begin(o, "item", (uint64_t)i + 1);
    pred(o, NS_RDF, NULL);
    obj_iri(o, NS_PT, "Item");
    if (!o->dry) {
        sb_clear(&b);
        sb_brand(&b, it->brand);
        sb_add(&b, " ");
        sb_cap(&b, tags[it->tags[0]].en);
        sb_add(&b, " ");
        sb_add(&b, lf->noun);
        sb_add(&b, " ");
        sb_model(&b, it, 0);
    }
    pred(o, NS_PT, "title");
    obj_lang(o, b.s, "en");
    if (!o->dry) {
        sb_clear(&b);
        sb_brand(&b, it->brand);
        sb_add(&b, " ");
        sb_add(&b, tags[it->tags[0]].zh);
        sb_add(&b, lf->zh);
        sb_add(&b, " ");
        sb_model(&b, it, 1);
    }
    pred(o, NS_PT, "title");
    obj_lang(o, b.s, "zh");
    if (!o->dry) {
        sb_clear(&b);
        for (unsigned k = 0; k < it->ntags; k++) {
            if (k > 0) {
                sb_add(&b, k + 1 == it->ntags ? " and " : ", ");
            }
            if (k == 0) {
                sb_cap(&b, tags[it->tags[k]].en);
            } else {
                sb_add(&b, tags[it->tags[k]].en);
            }
        }
        sb_add(&b, " ");
        sb_lower(&b, lf->noun);
        sb_add(&b, " by ");
        sb_brand(&b, it->brand);
        sb_add(&b, ". ");
        sb_add(&b, tp->use_en);
    }
    pred(o, NS_PT, "description");
    obj_lang(o, b.s, "en");
    if (!o->dry) {
        sb_clear(&b);
        sb_brand(&b, it->brand);
        sb_add(&b, "出品，");
        for (unsigned k = 0; k < it->ntags; k++) {
            if (k > 0) {
                sb_add(&b, "、");
            }
            sb_add(&b, tags[it->tags[k]].zh);
        }
        sb_add(&b, "的");
        sb_add(&b, lf->zh);
        sb_add(&b, "。");
        sb_add(&b, tp->use_zh);
    }
    pred(o, NS_PT, "description");
    obj_lang(o, b.s, "zh");
    pred(o, NS_PT, "price");
    obj_price(o, it->price);
    pred(o, NS_PT, "inCategory");
    obj_node(o, "cat", leaf_cat(it->leaf));
    pred(o, NS_PT, "brand");
    obj_node(o, "brand", (uint64_t)it->brand + 1);
    for (unsigned k = 0; k < it->ntags; k++) {
        pred(o, NS_PT, "hasTag");
        obj_node(o, "tag", (uint64_t)it->tags[k] + 1);
    }
    end(o);
}

/* Writes the category hierarchy, the brands, the tags and all items. */
static void emit_catalog(out_t *o, const world_t *w)
{
    for (uint32_t t = 0; t < NTOP; t++) {
        emit_cat(o, t + 1, tops[t].en, tops[t].zh, 0, 0);
    }
    for (uint32_t m = 0; m < (uint32_t)NMID; m++) {
        emit_cat(o, NTOP + m + 1, mids[m].en, mids[m].zh, 0, (uint32_t)mids[m].top + 1);
    }
    for (uint32_t j = 0; j < w->nleaf; j++) {
        const leaf_t *lf = &leaves[j % NBASE_LEAF];
        emit_cat(o, leaf_cat(j), lf->en, lf->zh, j / NBASE_LEAF, NTOP + (uint32_t)lf->mid + 1);
    }
    for (uint32_t b = 0; b < w->nbrand; b++) {
        sb_t s;
        sb_clear(&s);
        sb_brand(&s, b);
        begin(o, "brand", (uint64_t)b + 1);
        pred(o, NS_RDF, NULL);
        obj_iri(o, NS_PT, "Brand");
        pred(o, NS_RDFS, "label");
        obj_lang(o, s.s, "en");
        end(o);
    }
    for (uint32_t g = 0; g < NTAG; g++) {
        begin(o, "tag", (uint64_t)g + 1);
        pred(o, NS_RDF, NULL);
        obj_iri(o, NS_PT, "Tag");
        pred(o, NS_RDFS, "label");
        obj_lang(o, tags[g].en, "en");
        pred(o, NS_RDFS, "label");
        obj_lang(o, tags[g].zh, "zh");
        end(o);
    }
    for (uint32_t i = 0; i < w->items; i++) {
        emit_item(o, w, i);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Users and behaviour                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* A rating or review that a user will write once it falls due. */
typedef struct {
    uint32_t item;
    uint32_t due;
    uint8_t rating;
    uint8_t review;
} pending_t;

/* One simulated user: language, latent tastes, clock and pending ratings. */
typedef struct {
    uint32_t id;
    int zh;
    unsigned ntop, nleaf, nbrand;
    int tops[2];
    uint32_t leaves[4];
    uint32_t brands[3];
    uint32_t last;
    unsigned npend;
    pending_t pend[MAX_PENDING];
} user_t;

/* Returns 1 if leaf j is one of the user's favourite leaf categories. */
static int fav_leaf(const user_t *u, uint32_t j)
{
    for (unsigned i = 0; i < u->nleaf; i++) {
        if (u->leaves[i] == j) {
            return 1;
        }
    }
    return 0;
}

/* Returns 1 if brand b is one of the user's favourite brands. */
static int fav_brand(const user_t *u, uint32_t b)
{
    for (unsigned i = 0; i < u->nbrand; i++) {
        if (u->brands[i] == b) {
            return 1;
        }
    }
    return 0;
}

/* Draws an index from a small table of non-negative weights with a positive sum. */
static unsigned weighted(rng_t *r, const unsigned *wt, unsigned n)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < n; i++) {
        sum += wt[i];
    }
    uint64_t v = below(r, sum);
    for (unsigned i = 0; i < n; i++) {
        if (v < wt[i]) {
            return i;
        }
        v -= wt[i];
    }
    return n - 1;
}

/*
 * Picks an item of leaf j by Zipf popularity. In a favourite leaf the user leans towards
 * favourite brands by redrawing up to twice; an empty leaf falls back to any item.
 */
static uint32_t pick_item(const world_t *w, rng_t *r, const user_t *u, uint32_t j)
{
    uint32_t off = w->leaf_off[j];
    uint32_t n = w->leaf_off[j + 1] - off;
    if (n == 0) {
        return (uint32_t)below(r, w->items);
    }
    uint32_t it = w->leaf_items[off + zipf(&w->z1, r, n)];
    if (fav_leaf(u, j)) {
        for (int k = 0; k < 2 && !fav_brand(u, w->item[it].brand) && chance(r, 60); k++) {
            it = w->leaf_items[off + zipf(&w->z1, r, n)];
        }
    }
    return it;
}

/* Writes one behaviour event node; rating and review text are optional (0 / NULL). */
static void emit_event(out_t *o, world_t *w, const user_t *u, uint32_t item, const char *action,
                       int rating, const char *text, const char *lang)
{
    w->events++;
    begin(o, "event", w->events);
    pred(o, NS_RDF, NULL);
    obj_iri(o, NS_PT, "Event");
    pred(o, NS_PT, "user");
    obj_node(o, "user", (uint64_t)u->id + 1);
    pred(o, NS_PT, "item");
    obj_node(o, "item", (uint64_t)item + 1);
    pred(o, NS_PT, "action");
    obj_iri(o, NS_PT, action);
    pred(o, NS_PT, "time");
    obj_time(o, u->last);
    if (rating) {
        pred(o, NS_PT, "rating");
        obj_int(o, (uint64_t)rating);
    }
    if (text) {
        pred(o, NS_PT, "text");
        obj_lang(o, text, lang);
    }
    end(o);
}

/* Advances the user's clock to at least t and by at least gap seconds, and returns it. */
static uint32_t tick(user_t *u, uint32_t t, uint32_t gap)
{
    u->last = t > u->last + gap ? t : u->last + gap;
    return u->last;
}

/*
 * Rates a purchased item from 1 to 5: favourite categories and brands raise the rating, the
 * item's hidden quality moves it strongly, and a little noise is added.
 */
static int rate(const world_t *w, rng_t *r, const user_t *u, uint32_t item)
{
    const item_t *it = &w->item[item];
    int m = fav_leaf(u, it->leaf) + fav_brand(u, it->brand);
    int s = 3;
    if (m >= 1) {
        s++;
    }
    if (m == 2 && chance(r, 50)) {
        s++;
    }
    if (it->quality == 2) {
        s++;
    } else if (it->quality == 0) {
        s -= 2;
    }
    unsigned noise = (unsigned)below(r, 100);
    if (noise < 15) {
        s--;
    } else if (noise >= 85) {
        s++;
    }
    return s < 1 ? 1 : s > 5 ? 5 : s;
}

/*
 * Composes a review whose sentiment follows the rating: a sentence on one of the item's
 * feature tags, one on the category's typical aspect and sometimes a generic one, in English
 * or Chinese.
 */
static void compose(sb_t *b, const world_t *w, rng_t *r, uint32_t item, int rating, int zh)
{
    const item_t *it = &w->item[item];
    const top_t *tp = &tops[leaf_top(it->leaf)];
    unsigned nfeat = it->ntags;
    if (it->tags[nfeat - 1] == TAG_PREMIUM || it->tags[nfeat - 1] == TAG_BUDGET) {
        nfeat--;
    }
    const tag_t *tg = &tags[it->tags[below(r, nfeat)]];
    const char *word = zh ? tg->zh : tg->en;
    const char *sep = zh ? "" : " ";
    sb_clear(b);
    if (rating >= 4) {
        sb_tpl(b, zh ? tag_pos_zh[below(r, 2)] : tag_pos_en[below(r, 2)], word);
    } else if (rating <= 2) {
        sb_tpl(b, zh ? tag_neg_zh[below(r, 2)] : tag_neg_en[below(r, 2)], word);
    } else {
        sb_tpl(b, zh ? tag_mid_zh : tag_mid_en, word);
    }
    sb_add(b, chance(r, 10) ? "\n" : sep);
    int good = rating >= 4 || (rating == 3 && chance(r, 50));
    unsigned k = (unsigned)below(r, 2);
    if (good) {
        sb_add(b, zh ? tp->pos_zh[k] : tp->pos_en[k]);
    } else {
        sb_add(b, zh ? tp->neg_zh[k] : tp->neg_en[k]);
    }
    if (rating != 3 && chance(r, 50)) {
        unsigned g = (unsigned)below(r, 3);
        sb_add(b, sep);
        if (rating >= 4) {
            sb_add(b, zh ? gen_pos_zh[g] : gen_pos_en[g]);
        } else {
            sb_add(b, zh ? gen_neg_zh[g] : gen_neg_en[g]);
        }
    }
}

/* Writes the pending ratings and reviews that are due by time t, oldest first. */
static void settle(out_t *o, world_t *w, rng_t *r, user_t *u, uint32_t t)
{
    for (;;) {
        unsigned best = u->npend;
        for (unsigned i = 0; i < u->npend; i++) {
            if (u->pend[i].due <= t && (best == u->npend || u->pend[i].due < u->pend[best].due)) {
                best = i;
            }
        }
        if (best == u->npend) {
            return;
        }
        pending_t p = u->pend[best];
        u->pend[best] = u->pend[--u->npend];
        tick(u, p.due, (uint32_t)span(r, 30, 600));
        if (p.review) {
            sb_t b;
            int zh = chance(r, 90) ? u->zh : !u->zh;
            compose(&b, w, r, p.item, p.rating, zh);
            emit_event(o, w, u, p.item, "reviewed", p.rating, b.s, zh ? "zh" : "en");
        } else {
            emit_event(o, w, u, p.item, "rated", p.rating, NULL, NULL);
        }
    }
}

/* Writes a user node with its optional demographics and chooses its latent tastes. */
static void make_user(out_t *o, const world_t *w, rng_t *r, user_t *u)
{
    u->zh = chance(r, 50);
    int female = chance(r, 50);
    int show_gender = chance(r, 85);
    unsigned age = (unsigned)(18 + below(r, 10) + below(r, 10));
    if (chance(r, 40)) {
        age += (unsigned)below(r, 33);
    }
    int show_age = chance(r, 90);
    int home = chance(r, 90) ? u->zh : !u->zh;
    const char *city = home ? cities_zh[below(r, NCITY)] : cities_en[below(r, NCITY)];
    int show_city = chance(r, 80);

    begin(o, "user", (uint64_t)u->id + 1);
    pred(o, NS_RDF, NULL);
    obj_iri(o, NS_PT, "User");
    if (show_age) {
        pred(o, NS_PT, "age");
        obj_int(o, age);
    }
    if (show_gender) {
        pred(o, NS_PT, "gender");
        obj_str(o, female ? "f" : "m");
    }
    if (show_city) {
        pred(o, NS_PT, "city");
        obj_str(o, city);
    }
    end(o);

    /* Favourite top-level categories depend a little on gender and age. */
    unsigned wt[NTOP];
    for (int t = 0; t < NTOP; t++) {
        wt[t] = female ? tops[t].weight_f : tops[t].weight_m;
    }
    if (age >= 28 && age <= 45) {
        wt[T_TOYS] *= 3;
    }
    u->ntop = 0;
    u->tops[u->ntop++] = (int)weighted(r, wt, NTOP);
    if (chance(r, 45)) {
        wt[u->tops[0]] = 0;
        u->tops[u->ntop++] = (int)weighted(r, wt, NTOP);
    }

    /* Two to four favourite leaves inside the favourite top-level categories. */
    unsigned want = (unsigned)span(r, 2, 4);
    u->nleaf = 0;
    for (unsigned tries = 0; u->nleaf < want && tries < 32; tries++) {
        int t = u->tops[below(r, u->ntop)];
        uint32_t off = w->top_leaf_off[t];
        uint32_t j = w->top_leaves[off + below(r, w->top_leaf_off[t + 1] - off)];
        if (!fav_leaf(u, j)) {
            u->leaves[u->nleaf++] = j;
        }
    }

    /* One to three favourite brands, popular brands being liked more often. */
    want = (unsigned)span(r, 1, 3);
    u->nbrand = 0;
    for (unsigned k = 0; k < want; k++) {
        int t = u->tops[below(r, u->ntop)];
        uint32_t off = w->top_brand_off[t];
        uint32_t b = w->top_brands[off + zipf(&w->z1, r, w->top_brand_off[t + 1] - off)];
        if (!fav_brand(u, b)) {
            u->brands[u->nbrand++] = b;
        }
    }
}

/* Sorts a small array of session start times in place (insertion sort). */
static void sort_times(uint32_t *a, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint32_t v = a[i];
        unsigned k = i;
        while (k > 0 && a[k - 1] > v) {
            a[k] = a[k - 1];
            k--;
        }
        a[k] = v;
    }
}

/*
 * Generates one user and all of the user's sessions. Each session browses mostly one category
 * (a favourite one 80% of the time) and runs the funnel view -> click -> cart -> purchase;
 * purchases later get ratings or reviews, written when they fall due. The amount of activity
 * (sessions, their times and lengths) comes from a separate stream, so that it does not shift
 * when the catalogue changes and the triple count grows smoothly with the number of users.
 */
static void run_user(out_t *o, world_t *w, uint32_t id)
{
    static user_t u;
    rng_t r;
    rng_t act;
    rng_init(&r, w->seed, STREAM_USER, id);
    rng_init(&act, w->seed, STREAM_ACTIVITY, id);
    memset(&u, 0, sizeof u);
    u.id = id;
    make_user(o, w, &r, &u);

    /* Tiny shops cap the tail so that one heavy user does not dwarf everything else. */
    unsigned cap = w->users < MAX_SESSIONS ? (w->users > 10 ? w->users : 10) : MAX_SESSIONS;
    unsigned nsess = 1 + (unsigned)zipf(&w->z2, &act, cap);
    unsigned margin = 11 + (nsess + 11) / 12;
    unsigned days = WINDOW_DAYS - margin;
    unsigned first = (unsigned)below(&act, days / 2);
    uint32_t start[MAX_SESSIONS];
    for (unsigned s = 0; s < nsess; s++) {
        uint32_t day = first + (uint32_t)below(&act, days - first);
        uint32_t hour = weighted(&act, hour_weight, 24);
        start[s] = day * 86400 + hour * 3600 + (uint32_t)below(&act, 3600);
    }
    sort_times(start, nsess);

    for (unsigned s = 0; s < nsess; s++) {
        settle(o, w, &r, &u, start[s]);
        tick(&u, start[s], 60);
        uint32_t focus = chance(&r, 80) ? u.leaves[below(&r, u.nleaf)]
                                        : (uint32_t)below(&r, w->nleaf);
        unsigned views = 1;
        while (views < MAX_VIEWS && chance(&act, 74)) {
            views++;
        }
        uint32_t cart[MAX_VIEWS];
        unsigned ncart = 0;
        for (unsigned v = 0; v < views; v++) {
            uint32_t leaf = chance(&r, 8) ? (uint32_t)below(&r, w->nleaf) : focus;
            uint32_t item = pick_item(w, &r, &u, leaf);
            if (v > 0) {
                tick(&u, 0, (uint32_t)span(&r, 15, 240));
            }
            emit_event(o, w, &u, item, "viewed", 0, NULL, NULL);
            int fb = fav_brand(&u, w->item[item].brand);
            int fl = fav_leaf(&u, w->item[item].leaf);
            if (chance(&r, 35 + 15 * (unsigned)fb + 10 * (unsigned)fl)) {
                tick(&u, 0, (uint32_t)span(&r, 5, 60));
                emit_event(o, w, &u, item, "clicked", 0, NULL, NULL);
                if (chance(&r, 25 + 15 * (unsigned)fb)) {
                    tick(&u, 0, (uint32_t)span(&r, 10, 120));
                    emit_event(o, w, &u, item, "carted", 0, NULL, NULL);
                    cart[ncart++] = item;
                }
            }
        }
        if (ncart) {
            tick(&u, 0, (uint32_t)span(&r, 60, 600));
        }
        for (unsigned c = 0; c < ncart; c++) {
            if (!chance(&r, 55)) {
                continue;
            }
            tick(&u, 0, (uint32_t)span(&r, 1, 30));
            emit_event(o, w, &u, cart[c], "purchased", 0, NULL, NULL);
            unsigned x = (unsigned)below(&r, 100);
            if (x < 60 && u.npend < MAX_PENDING) {
                pending_t *p = &u.pend[u.npend++];
                p->item = cart[c];
                p->review = x < 30;
                p->rating = (uint8_t)rate(w, &r, &u, cart[c]);
                p->due = u.last + (uint32_t)span(&r, 86400, 10 * 86400);
            }
        }
    }
    settle(o, w, &r, &u, UINT32_MAX);
}

/* Builds the world for the given sizes and writes it all; returns 0 or -1 if out of memory. */
static int generate(out_t *o, world_t *w, uint64_t seed, uint32_t users, uint32_t items)
{
    memset(w, 0, sizeof *w);
    w->seed = seed;
    w->users = users;
    w->items = items;
    o->triples = 0;
    if (build(w) != 0) {
        return -1;
    }
    header(o, seed, users, items);
    emit_catalog(o, w);
    for (uint32_t u = 0; u < users; u++) {
        run_user(o, w, u);
    }
    return 0;
}

/*
 * Writes n labelled reviews as CSV (label,lang,review): label 1 for ratings 4-5, 0 for 1-2
 * (3 is not written), composed exactly as the shop's reviews are, on random items of the
 * world, half in English and half in Chinese. Training data for `portrait text train`.
 */
static int write_reviews(FILE *fp, const world_t *w, uint64_t seed, uint64_t n)
{
    rng_t r;
    sb_t b;
    rng_init(&r, seed, 0x5245u, 0);
    fputs("label,lang,review\n", fp);
    for (uint64_t k = 0; k < n;) {
        int rating = (int)span(&r, 1, 5);
        if (rating == 3) {
            continue;
        }
        int zh = chance(&r, 50);
        compose(&b, w, &r, (uint32_t)below(&r, w->items), rating, zh);
        fprintf(fp, "%d,%s,\"", rating >= 4, zh ? "zh" : "en");
        for (const char *c = b.s; *c; c++) {
            if (*c == '"') {
                fputc('"', fp);
            }
            fputc(*c, fp);
        }
        fputs("\"\n", fp);
        k++;
    }
    return ferror(fp) ? -1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Command line                                                                               */
/* ------------------------------------------------------------------------------------------ */

#define MAX_USERS 20000000u
#define MAX_ITEMS 20000000u
#define MAX_TRIPLES 2000000000ULL

static const char usage_text[] =
    "Usage: portrait-gen [--triples N | --users U --items I] [--seed S]\n"
    "                    [--format ntriples|turtle] [--out FILE]\n"
    "       portrait-gen --reviews N [--seed S] [--out FILE]\n"
    "       portrait-gen --help\n"
    "\n"
    "Writes a deterministic sample e-commerce knowledge graph for Portrait: a category\n"
    "hierarchy, brands, tags, items, users and their behaviour events, in the vocabulary\n"
    "https://w3id.org/portrait/ns# with shop IRIs under https://shop.example/.\n"
    "\n"
    "  --triples N   pick users and items (items = 2 x users) for about N triples\n"
    "                (default 20000)\n"
    "  --users U     number of users; with only one of --users/--items the other\n"
    "                follows from items = 2 x users\n"
    "  --items I     number of items\n"
    "  --seed S      unsigned 64-bit seed (default 1); the same arguments always give\n"
    "                byte-identical output\n"
    "  --format F    ntriples (default) or turtle\n"
    "  --out FILE    write to FILE instead of standard output\n"
    "  --reviews N   instead of a shop, N labelled reviews as CSV (label,lang,review;\n"
    "                label 1 for ratings 4-5, 0 for 1-2) written like the shop's own,\n"
    "                to train a sentiment model (portrait text train)\n"
    "  --help        show this help and exit\n"
    "\n"
    "A summary line with the actual counts is printed on standard error.\n";

/* Prints an error and the usage text to stderr and exits with status 1. */
static void die_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "portrait-gen: %s%s%s\n\n%s", msg, arg ? " " : "", arg ? arg : "",
            usage_text);
    exit(1);
}

/* Parses a decimal unsigned integer in [lo, hi]; any other text is a usage error. */
static uint64_t parse_num(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
    uint64_t v = 0;
    if (!s || !*s) {
        die_usage("missing value for", opt);
    }
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
            die_usage("bad number for", opt);
        }
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v < lo || v > hi) {
        die_usage("number out of range for", opt);
    }
    return v;
}

/*
 * Counts the triples of a trial size without writing anything: x users with 2x items when
 * users is zero, otherwise that many users with x items.
 */
static uint64_t trial(out_t *o, uint64_t seed, uint32_t users, uint32_t x)
{
    world_t w;
    o->dry = 1;
    if (generate(o, &w, seed, users ? users : x, users ? x : 2 * x) != 0) {
        fprintf(stderr, "portrait-gen: out of memory\n");
        exit(1);
    }
    destroy(&w);
    o->dry = 0;
    return o->triples;
}

/* Returns the absolute difference of two unsigned counts. */
static uint64_t diff(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* Limits v to the inclusive range [lo, hi]. */
static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Searches x in [lo, hi] (see trial) for the count closest to the target with a guarded secant
 * method on the noisy but nearly linear curve, starting at x0 with a guessed slope of triples
 * per unit. It stops within 0.25% or after a few steps and stores the best count in *got.
 */
static uint32_t search(out_t *o, uint64_t seed, uint64_t target, uint32_t users, int64_t x0,
                       int64_t lo, int64_t hi, int64_t slope, uint64_t *got)
{
    x0 = clamp(x0, lo, hi);
    int64_t t0 = (int64_t)trial(o, seed, users, (uint32_t)x0);
    int64_t best = x0;
    uint64_t best_diff = diff((uint64_t)t0, target);
    *got = (uint64_t)t0;
    int64_t x1 = x0 + ((int64_t)target - t0) / slope;
    for (int step = 0; step < 10 && best_diff * 400 > target; step++) {
        x1 = clamp(x1, lo, hi);
        if (x1 == x0) {
            x1 = x0 + ((int64_t)target > t0 ? 1 : -1);
            if (x1 < lo || x1 > hi) {
                break;
            }
        }
        int64_t t1 = (int64_t)trial(o, seed, users, (uint32_t)x1);
        if (diff((uint64_t)t1, target) < best_diff) {
            best_diff = diff((uint64_t)t1, target);
            best = x1;
            *got = (uint64_t)t1;
        }
        if (t1 != t0 && (t1 - t0) / (x1 - x0) > 0) {
            slope = (t1 - t0) / (x1 - x0);
        }
        int64_t next = x1 + ((int64_t)target - t1) / slope;
        next = clamp(next, x1 / 2, x1 * 2 + 1);
        x0 = x1;
        t0 = t1;
        x1 = next;
    }
    return (uint32_t)best;
}

/*
 * Chooses users and items for about target triples: first the number of users, with twice as
 * many items; if a few heavy users still leave the count more than 5% off (small targets),
 * the number of items is tuned as well, within half to four times the number of users.
 */
static void plan(out_t *o, uint64_t seed, uint64_t target, uint64_t *users, uint64_t *items)
{
    uint64_t got = 0;
    uint32_t u = search(o, seed, target, 0, (int64_t)(target / 130), 1, MAX_ITEMS / 2, 130, &got);
    *users = u;
    *items = 2 * (uint64_t)u;
    if (diff(got, target) * 100 > target * 5) {
        uint64_t got2 = 0;
        int64_t hi = clamp(4 * (int64_t)u, 1, MAX_ITEMS);
        uint32_t i = search(o, seed, target, u, 2 * (int64_t)u, clamp(u / 2, 1, hi), hi, 12, &got2);
        if (diff(got2, target) < diff(got, target)) {
            *items = i;
        }
    }
}

/* Parses the arguments, sizes the shop, writes it and prints the summary line. */
int main(int argc, char **argv)
{
    static out_t out;
    uint64_t seed = 1;
    uint64_t triples = 0;
    uint64_t users = 0;
    uint64_t items = 0;
    const char *path = NULL;
    int turtle = 0;
    uint64_t reviews = 0;

    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (strcmp(a, "--triples") == 0) {
            triples = parse_num(a, v, 1, MAX_TRIPLES);
        } else if (strcmp(a, "--users") == 0) {
            users = parse_num(a, v, 1, MAX_USERS);
        } else if (strcmp(a, "--items") == 0) {
            items = parse_num(a, v, 1, MAX_ITEMS);
        } else if (strcmp(a, "--seed") == 0) {
            seed = parse_num(a, v, 0, UINT64_MAX);
        } else if (strcmp(a, "--format") == 0) {
            if (v && strcmp(v, "ntriples") == 0) {
                turtle = 0;
            } else if (v && strcmp(v, "turtle") == 0) {
                turtle = 1;
            } else {
                die_usage(v ? "unknown format" : "missing value for", v ? v : a);
            }
        } else if (strcmp(a, "--reviews") == 0) {
            reviews = parse_num(a, v, 1, 100000000ULL);
        } else if (strcmp(a, "--out") == 0) {
            if (!v || !*v) {
                die_usage("missing value for", a);
            }
            path = v;
        } else {
            die_usage("unknown argument", a);
        }
    }
    if (triples && (users || items)) {
        die_usage("--triples cannot be combined with --users or --items", NULL);
    }
    if (!users && !items) {
        plan(&out, seed, triples ? triples : 20000, &users, &items);
    } else if (!items) {
        items = users * 2 > MAX_ITEMS ? MAX_ITEMS : users * 2;
    } else if (!users) {
        users = items / 2 ? items / 2 : 1;
    }

    out.fp = stdout;
    if (path) {
        out.fp = fopen(path, "wb");
        if (!out.fp) {
            fprintf(stderr, "portrait-gen: cannot open %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    out.turtle = turtle;
    out.dry = 0;
    world_t w;
    if (reviews > 0) {
        out.dry = 1; /* the world only: its items, tags and categories */
        if (generate(&out, &w, seed, (uint32_t)users, (uint32_t)items) != 0) {
            fprintf(stderr, "portrait-gen: out of memory\n");
            return 1;
        }
        int bad = write_reviews(out.fp, &w, seed, reviews) != 0 || fflush(out.fp) != 0;
        bad |= path && fclose(out.fp) != 0;
        destroy(&w);
        if (bad) {
            fprintf(stderr, "portrait-gen: write error: %s\n", strerror(errno ? errno : EIO));
            return 1;
        }
        fprintf(stderr, "portrait-gen: %llu labelled reviews\n", (unsigned long long)reviews);
        return 0;
    }
    if (generate(&out, &w, seed, (uint32_t)users, (uint32_t)items) != 0) {
        fprintf(stderr, "portrait-gen: out of memory\n");
        return 1;
    }
    flush(&out);
    if (fflush(out.fp) != 0 && !out.failed) {
        out.failed = errno ? errno : EIO;
    }
    if (path && fclose(out.fp) != 0 && !out.failed) {
        out.failed = errno ? errno : EIO;
    }
    if (out.failed) {
        fprintf(stderr, "portrait-gen: write error: %s\n", strerror(out.failed));
        return 1;
    }
    fprintf(stderr,
            "portrait-gen: %llu triples (users %lu, items %lu, categories %lu, brands %lu, "
            "tags %lu, events %llu)\n",
            (unsigned long long)out.triples, (unsigned long)users, (unsigned long)items,
            (unsigned long)(NTOP + NMID + w.nleaf), (unsigned long)w.nbrand,
            (unsigned long)NTAG, (unsigned long long)w.events);
    destroy(&w);
    return 0;
}
