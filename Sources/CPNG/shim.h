#include <png.h>

/// The simplified-API constants as values Swift can import (the macros are compound).
static const unsigned int vigil_png_image_version = PNG_IMAGE_VERSION;
static const unsigned int vigil_png_format_rgb = PNG_FORMAT_RGB;
static const unsigned int vigil_png_format_rgba = PNG_FORMAT_RGBA;
