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
