"""The world's vocabulary: named colours, shapes, motions, backgrounds, camera moves.

Each entry pairs the words a caption may use (synonyms included) with what the renderer needs.
"""

# name -> (RGB in 0..1, synonyms a caption may use instead of the name)
COLOURS = {
    "red": ((0.90, 0.12, 0.12), ["red", "crimson"]),
    "orange": ((0.98, 0.55, 0.08), ["orange"]),
    "yellow": ((0.98, 0.90, 0.15), ["yellow", "golden"]),
    "green": ((0.15, 0.75, 0.25), ["green"]),
    "cyan": ((0.10, 0.85, 0.90), ["cyan", "turquoise"]),
    "blue": ((0.12, 0.30, 0.92), ["blue"]),
    "purple": ((0.55, 0.20, 0.85), ["purple", "violet"]),
    "pink": ((0.98, 0.45, 0.75), ["pink"]),
    "white": ((0.97, 0.97, 0.97), ["white"]),
    "black": ((0.06, 0.06, 0.06), ["black", "dark"]),
    "gray": ((0.50, 0.50, 0.52), ["gray", "grey"]),
    "brown": ((0.50, 0.30, 0.14), ["brown"]),
}

# shape name -> synonyms
SHAPES = {
    "circle": ["circle", "ball", "dot"],
    "square": ["square"],
    "triangle": ["triangle"],
    "star": ["star"],
    "heart": ["heart"],
    "ring": ["ring", "donut"],
    "arrow": ["arrow"],
    "bottle": ["bottle"],
    "box": ["box", "package"],
    "phone": ["phone", "smartphone"],
    "diamond": ["diamond", "gem"],
    "cross": ["cross", "plus sign"],
}

# motion name -> caption phrases (the subject is prepended)
MOTIONS = {
    "left": ["moves left", "slides to the left", "glides left"],
    "right": ["moves right", "slides to the right", "glides right"],
    "up": ["moves up", "rises", "floats upward"],
    "down": ["moves down", "falls", "drops down"],
    "enter-left": ["slides in from the left", "enters from the left"],
    "enter-right": ["slides in from the right", "enters from the right"],
    "enter-top": ["slides in from the top", "drops in from above"],
    "enter-bottom": ["slides in from the bottom", "rises in from below"],
    "bounce": ["bounces", "bounces up and down", "hops"],
    "spin": ["spins", "rotates", "turns around"],
    "zoom-in": ["grows", "zooms in", "gets bigger"],
    "zoom-out": ["shrinks", "zooms out", "gets smaller"],
    "orbit": ["circles around", "orbits", "moves in a circle"],
    "pulse": ["pulses", "throbs", "beats"],
    "still": ["stays still", "sits still", "rests"],
}

# background kind -> caption template ({c} = colour word, {c2} = second colour word)
BACKGROUNDS = {
    "solid": ["on a {c} background", "against a {c} backdrop", "over plain {c}"],
    "gradient": ["on a {c} to {c2} gradient", "over a {c} and {c2} gradient background"],
    "stripes": ["on a {c} and {c2} striped background", "over {c} and {c2} stripes"],
    "checker": ["on a {c} and {c2} checkered background", "over a {c} and {c2} checkerboard"],
}

# camera move -> caption phrases; only visible on patterned backgrounds
CAMERA_MOVES = {
    "none": [""],
    "pan-left": ["the camera pans left", "as the camera pans left"],
    "pan-right": ["the camera pans right", "as the camera pans right"],
    "zoom": ["the camera zooms in", "as the camera pushes in"],
}

# direction of the object's centre motion, used by the judge ("left", "right", "up", "down", "none")
MOTION_DIRECTION = {
    "left": "left", "right": "right", "up": "up", "down": "down",
    "enter-left": "right", "enter-right": "left", "enter-top": "down", "enter-bottom": "up",
    "bounce": "none", "spin": "none", "zoom-in": "none", "zoom-out": "none",
    "orbit": "none", "pulse": "none", "still": "none",
}

ARTICLES = ["a", "one", "the"]
OPENERS = ["", "", "", "a promo clip of ", "a short video of ", "an animation of ", "footage of "]

# ---------------------------------------------------------------------------------------------
# Rich captions (world/captions.py): the many other ways a person writes the same clip.
# Everything below is TRAINING wording. The held-out paraphrase wordings
# (tests/fixtures/paraphrase-heldout-words.json, used by vidlet_train/paraphrases.py) must never
# appear here; training/tests/test_captions.py checks that over the training vocabulary and over
# sampled captions. The lists above stay as they are: the template style (and the held-out
# template prompts in tests/fixtures/eval-prompts.json) are written from them.

# colour name -> extra training words (added to COLOURS' synonyms); ambiguous names are left out
RICH_COLOUR_EXTRA = {
    "red": ["ruby", "cherry", "vermilion", "tomato", "cardinal", "brick red"],
    "orange": ["amber", "pumpkin", "carrot", "apricot", "marigold"],
    "yellow": ["gold", "canary", "mustard", "sunflower", "banana", "butter yellow"],
    "green": ["lime", "jade", "forest green", "kelly green", "leaf green", "mint"],
    "cyan": ["teal", "seafoam", "light turquoise"],
    "blue": ["azure", "navy", "denim", "ultramarine", "cerulean", "ocean blue"],
    "purple": ["plum", "lilac", "lavender", "mauve", "amethyst", "grape"],
    "pink": ["fuchsia", "magenta", "rose", "bubblegum", "flamingo", "blush"],
    "white": ["ivory", "pearl", "milk white", "chalk", "cream"],
    "black": ["ebony", "onyx", "coal", "ink", "raven", "sable"],
    "gray": ["silver", "slate", "ash", "steel", "stone", "pewter"],
    "brown": ["chestnut", "walnut", "mahogany", "coffee", "mocha", "cocoa", "caramel", "umber"],
}
COLOUR_MODIFIERS = ["bright", "vivid"]  # "a bright red star"

# shape name -> extra training words (added to SHAPES)
RICH_SHAPE_EXTRA = {
    "circle": ["disc", "coin", "bubble", "marble"],
    "square": ["tile", "cube", "slab"],
    "triangle": ["wedge", "pyramid", "delta"],
    "star": ["starburst", "sparkle"],
    "heart": ["valentine", "cupid heart"],
    "ring": ["halo", "bagel", "wreath", "tyre", "tire"],
    "arrow": ["dart", "arrowhead"],
    "bottle": ["flask", "vial", "jug", "jar"],
    "box": ["crate", "chest", "case", "present", "gift box"],
    "phone": ["mobile phone", "mobile", "iphone", "android phone"],
    "diamond": ["jewel", "crystal", "lozenge"],
    "cross": ["plus", "swiss cross"],
}

# motion -> (third person, -ing form, rest): "slides" / "sliding" + "to the left";
# an adverb may go before the verb, after it or at the end
RICH_MOTIONS = {
    "left": [("moves", "moving", "left"), ("slides", "sliding", "to the left"), ("glides", "gliding", "left"),
            ("zips", "zipping", "left"), ("travels", "travelling", "left"), ("heads", "heading", "left"),
            ("goes", "going", "left"), ("moves", "moving", "leftward"), ("shifts", "shifting", "to the left"),
            ("sweeps", "sweeping", "left"), ("moves", "moving", "to the left"),
            ("slides", "sliding", "across to the left"), ("races", "racing", "left"),
            ("dashes", "dashing", "to the left"), ("rolls", "rolling", "left"), ("darts", "darting", "left"),
            ("hurries", "hurrying", "to the left"), ("coasts", "coasting", "left"),
            ("skates", "skating", "to the left"), ("flies", "flying", "left"),
            ("moves", "moving", "toward the left"), ("travels", "travelling", "toward the left side")],
    "right": [("moves", "moving", "right"), ("slides", "sliding", "to the right"), ("glides", "gliding", "right"),
             ("zips", "zipping", "right"), ("travels", "travelling", "right"), ("heads", "heading", "right"),
             ("goes", "going", "right"), ("moves", "moving", "rightward"), ("shifts", "shifting", "to the right"),
             ("sweeps", "sweeping", "right"), ("moves", "moving", "to the right"),
             ("slides", "sliding", "across to the right"), ("races", "racing", "right"),
             ("dashes", "dashing", "to the right"), ("rolls", "rolling", "right"), ("darts", "darting", "right"),
             ("hurries", "hurrying", "to the right"), ("coasts", "coasting", "right"),
             ("skates", "skating", "to the right"), ("flies", "flying", "right"),
             ("moves", "moving", "toward the right"), ("travels", "travelling", "toward the right side")],
    "up": [("moves", "moving", "up"), ("rises", "rising", ""), ("floats", "floating", "upward"),
          ("floats", "floating", "up"), ("goes", "going", "up"), ("moves", "moving", "upward"),
          ("heads", "heading", "up"), ("glides", "gliding", "up"), ("slides", "sliding", "up"),
          ("travels", "travelling", "upward"), ("rises", "rising", "up"), ("lifts", "lifting", "up"),
          ("flies", "flying", "up"), ("shoots", "shooting", "up"), ("springs", "springing", "upward"),
          ("levitates", "levitating", "upward"), ("launches", "launching", "upward"),
          ("goes", "going", "toward the top")],
    "down": [("moves", "moving", "down"), ("falls", "falling", ""), ("drops", "dropping", "down"),
            ("goes", "going", "down"), ("moves", "moving", "downward"), ("slides", "sliding", "down"),
            ("glides", "gliding", "down"), ("falls", "falling", "down"), ("travels", "travelling", "downward"),
            ("heads", "heading", "down"), ("drops", "dropping", ""), ("tumbles", "tumbling", "down"),
            ("slips", "slipping", "down"), ("dips", "dipping", "down"), ("lowers", "lowering", "itself"),
            ("comes", "coming", "down"), ("flies", "flying", "down"), ("goes", "going", "toward the bottom"),
            ("topples", "toppling", "down")],
    "enter-left": [("slides", "sliding", "in from the left"), ("enters", "entering", "from the left"),
                  ("comes", "coming", "in from the left"), ("moves", "moving", "in from the left"),
                  ("glides", "gliding", "in from the left"), ("enters", "entering", "the frame from the left"),
                  ("slides", "sliding", "into view from the left"), ("flies", "flying", "in from the left"),
                  ("pops", "popping", "in from the left"), ("rolls", "rolling", "in from the left"),
                  ("appears", "appearing", "from the left side")],
    "enter-right": [("slides", "sliding", "in from the right"), ("enters", "entering", "from the right"),
                   ("comes", "coming", "in from the right"), ("moves", "moving", "in from the right"),
                   ("glides", "gliding", "in from the right"), ("enters", "entering", "the frame from the right"),
                   ("slides", "sliding", "into view from the right"), ("flies", "flying", "in from the right"),
                   ("pops", "popping", "in from the right"), ("rolls", "rolling", "in from the right"),
                   ("appears", "appearing", "from the right side")],
    "enter-top": [("slides", "sliding", "in from the top"), ("drops", "dropping", "in from above"),
                 ("enters", "entering", "from the top"), ("comes", "coming", "in from above"),
                 ("falls", "falling", "in from the top"), ("enters", "entering", "the frame from above"),
                 ("slides", "sliding", "into view from above"), ("flies", "flying", "in from the top"),
                 ("pops", "popping", "in from above"), ("tumbles", "tumbling", "in from the top"),
                 ("appears", "appearing", "from the top")],
    "enter-bottom": [("slides", "sliding", "in from the bottom"), ("rises", "rising", "in from below"),
                    ("enters", "entering", "from the bottom"), ("comes", "coming", "in from below"),
                    ("moves", "moving", "in from the bottom"), ("enters", "entering", "the frame from below"),
                    ("slides", "sliding", "into view from below"), ("flies", "flying", "in from below"),
                    ("pops", "popping", "up from below"), ("springs", "springing", "in from the bottom"),
                    ("appears", "appearing", "from the bottom")],
    "bounce": [("bounces", "bouncing", ""), ("bounces", "bouncing", "up and down"), ("hops", "hopping", ""),
              ("hops", "hopping", "up and down"), ("bounces", "bouncing", "on the spot"),
              ("springs", "springing", "up and down"), ("leaps", "leaping", ""), ("skips", "skipping", ""),
              ("boings", "boinging", ""), ("leaps", "leaping", "up and down")],
    "spin": [("spins", "spinning", ""), ("rotates", "rotating", ""), ("turns", "turning", "around"),
            ("spins", "spinning", "around"), ("spins", "spinning", "on the spot"), ("turns", "turning", ""),
            ("revolves", "revolving", ""), ("swivels", "swivelling", ""), ("pirouettes", "pirouetting", ""),
            ("wheels", "wheeling", "around"), ("rotates", "rotating", "on the spot")],
    "zoom-in": [("grows", "growing", ""), ("zooms", "zooming", "in"), ("gets", "getting", "bigger"),
               ("grows", "growing", "bigger"), ("scales", "scaling", "up"), ("becomes", "becoming", "bigger"),
               ("inflates", "inflating", ""), ("magnifies", "magnifying", ""), ("balloons", "ballooning", ""),
               ("scales", "scaling", "bigger")],
    "zoom-out": [("shrinks", "shrinking", ""), ("zooms", "zooming", "out"), ("gets", "getting", "smaller"),
                ("scales", "scaling", "down"), ("becomes", "becoming", "smaller"), ("grows", "growing", "smaller"),
                ("shrinks", "shrinking", "down"), ("deflates", "deflating", ""), ("contracts", "contracting", ""),
                ("recedes", "receding", ""), ("scales", "scaling", "smaller")],
    "orbit": [("circles", "circling", "around"), ("orbits", "orbiting", ""), ("moves", "moving", "in a circle"),
             ("goes", "going", "around in a circle"), ("travels", "travelling", "in a circle"),
             ("moves", "moving", "in circles"), ("circles", "circling", ""), ("spirals", "spiralling", "around"),
             ("wheels", "wheeling", "in a circle"), ("traces", "tracing", "a circle"),
             ("goes", "going", "in circles")],
    "pulse": [("pulses", "pulsing", ""), ("throbs", "throbbing", ""), ("beats", "beating", ""),
             ("grows and shrinks", "growing and shrinking", ""), ("pulses", "pulsing", "in and out"),
             ("pumps", "pumping", ""), ("flexes", "flexing", ""), ("puffs", "puffing", "in and out"),
             ("heaves", "heaving", "")],
    "still": [("stays", "staying", "still"), ("sits", "sitting", "still"), ("holds", "holding", "still"),
             ("rests", "resting", ""), ("waits", "waiting", ""), ("stands", "standing", "still"),
             ("idles", "idling", ""), ("pauses", "pausing", ""), ("hovers", "hovering", "in the middle"),
             ("stays", "staying", "in one spot")],
}

# adverbs a motion may take (none for "still")
_MOVING_ADVERBS = ["slowly", "smoothly", "steadily", "gently", "quickly", "briskly", "speedily", "leisurely", "calmly",
                   "softly", "fast", "hastily", "evenly", "casually"]
RICH_ADVERBS = {m: _MOVING_ADVERBS for m in ("left", "right", "up", "down", "enter-left", "enter-right",
                                              "enter-top", "enter-bottom", "orbit")}
RICH_ADVERBS |= {"bounce": ["gently", "quickly", "happily", "playfully", "merrily", "energetically"], "spin": ["slowly", "smoothly", "steadily", "quickly", "fast", "briskly"],
                 "zoom-in": ["slowly", "smoothly", "steadily"], "zoom-out": ["slowly", "smoothly", "steadily"],
                 "pulse": ["gently", "steadily", "slowly"], "still": []}

# background kind -> prepositional phrases ("on a blue background") and fragments ("blue bg")
RICH_BACKGROUNDS = {
    "solid": ["on a {c} background", "against a {c} backdrop", "over plain {c}", "on {c}", "on plain {c}",
              "on a plain {c} background", "over a {c} background", "against {c}", "against a plain {c} background",
              "with a {c} background", "on a solid {c} background", "over a {c} backdrop", "on a {c} backdrop",
              "on a {c} page", "over a {c} sheet", "on {c} paper", "in a {c} room", "on a {c} board", "in a {c} scene",
              "on a {c} floor", "in a {c} space", "with {c} all around", "on a {c} ground"],
    "gradient": ["on a {c} to {c2} gradient", "over a {c} and {c2} gradient background", "on a gradient from {c} to {c2}",
                 "against a {c} to {c2} gradient", "with a {c} to {c2} gradient background", "over a {c}-to-{c2} gradient",
                 "on a soft {c} to {c2} gradient", "over a {c} to {c2} gradient fill"],
    "stripes": ["on a {c} and {c2} striped background", "over {c} and {c2} stripes", "on {c} and {c2} stripes",
                "against {c} and {c2} stripes", "with a {c} and {c2} striped background",
                "on a striped {c} and {c2} background", 
                "over a {c} and {c2} striped pattern"],
    "checker": ["on a {c} and {c2} checkered background", "over a {c} and {c2} checkerboard",
                "on a {c} and {c2} checkerboard", "against a {c} and {c2} checkered background",
                "with a {c} and {c2} checkerboard background", "on a checkered {c} and {c2} background",
                "on a {c} and {c2} checkered pattern", "over a checkerboard of {c} and {c2}"],
}
RICH_BACKGROUND_FRAGMENTS = {
    "solid": ["{c} background", "{c} bg", "{c} backdrop", "bg: {c}", "background: {c}", "plain {c} background",
              "solid {c} background", "plain {c} bg", "{c} scene", "{c} room",
              "{c} page", "all {c} backdrop"],
    "gradient": ["{c} to {c2} gradient", "{c} and {c2} gradient bg", "{c}-to-{c2} gradient background",
                 "gradient background: {c} to {c2}"],
    "stripes": ["{c} and {c2} stripes", "{c} and {c2} striped bg", "striped {c} and {c2} background",
                "{c}/{c2} stripes"],
    "checker": ["{c} and {c2} checkerboard", "{c} and {c2} checkered bg", "checkered {c} and {c2} background",
                "{c}/{c2} checkerboard"],
}

# camera move -> (clause, -ing form): "the camera pans left" / "the camera panning left"
RICH_CAMERA = {
    "pan-left": [("the camera pans left", "the camera panning left"), ("camera pans left", "camera panning left"),
                 ("the camera pans to the left", "the camera panning to the left")],
    "pan-right": [("the camera pans right", "the camera panning right"), ("camera pans right", "camera panning right"),
                  ("the camera pans to the right", "the camera panning to the right")],
    "zoom": [("the camera zooms in", "the camera zooming in"), ("the camera pushes in", "the camera pushing in"),
             ("camera zooms in", "camera zooming in")],
}

# openers: "a video of" takes the rest of the caption after it; "video:" too
RICH_OPENERS = ["a promo clip of", "a short video of", "an animation of", "footage of", "a clip of", "a video of",
                "video of", "a short clip of", "an animated clip of", "promo clip:", "animation:", "clip:", "video:",
                "a teaser of", "an ad of", "motion graphics of", "an intro of", "a scene of", "a little film of",
                "idea:", "concept:", "ad:", "banner:"]
RICH_ARTICLES = ["a", "a", "a", "the", "one"]  # "a" becomes "an" before a vowel

# two objects in one scene: "a red star moves left and a blue ring spins"
OBJECT_JOINERS = [" and ", ", and ", " while ", "; ", ", "]
# two scenes: the hard cut between them
CUT_JOINERS = [" Then cut to ", ", then cut to ", ". Then cut to ", ". Cut to ", "; cut to ", " - cut to ",
               ", cut to ", " and then cut to ", ". Hard cut to ", " \u2014 cut to "]
# glue words the caption forms use themselves ("scene 1: ... cut to scene 2: ...", "a star in red")
CAPTION_GLUE = ["is", "that", "in", "with", "as", "while", "and", "then", "cut", "to", "hard", "scene", "1", "2", "3", "an"]

# an object's radius (normalised units, the frame spans [-1, 1]) by how many objects share the scene.
# The outline of a shape needs room: the VAE's latent cell is 8×8 pixels and a DiT token 16×16, so at
# radii 0.22–0.34 (28–44 pixels across) through-VAE shape was 0.53 on 120 clips, at 1.35× those
# radii 0.68 (training/checkpoints/object-size/).
OBJECT_RADIUS = {1: (0.22, 0.34), 2: (0.18, 0.26)}


def object_radius(rng, n_objects: int) -> float:
    lo, hi = OBJECT_RADIUS[1 if n_objects == 1 else 2]
    return rng.uniform(lo, hi)
