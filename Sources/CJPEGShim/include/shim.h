#pragma once
#include <stddef.h>

/// Decodes JPEG bytes to 8-bit RGB (grayscale and CMYK-free YCbCr are converted by libjpeg).
/// On success returns 0 and sets *pixels (malloc'd, width*height*3 bytes, free with
/// vigil_jpeg_free), *width and *height. On failure returns -1 and writes libjpeg's message
/// into `message` (at most `message_size` bytes, NUL-terminated); nothing is allocated.
/// Never calls exit(): libjpeg's errors come back here through setjmp/longjmp.
int vigil_jpeg_decode(const unsigned char *data, size_t size, unsigned char **pixels,
                      int *width, int *height, char *message, size_t message_size);

/// Encodes 8-bit RGB pixels as a baseline JPEG of the given quality (1-100). On success
/// returns 0 and sets *out (malloc'd, free with vigil_jpeg_free) and *out_size.
int vigil_jpeg_encode(const unsigned char *pixels, int width, int height, int quality,
                      unsigned char **out, size_t *out_size, char *message, size_t message_size);

/// Frees a buffer returned by the functions above.
void vigil_jpeg_free(void *buffer);
