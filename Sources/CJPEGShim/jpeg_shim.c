// libjpeg with an error manager that longjmps back instead of calling exit().
#include "shim.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

struct vigil_error_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *message;
    size_t message_size;
};

static void vigil_error_exit(j_common_ptr cinfo) {
    struct vigil_error_mgr *err = (struct vigil_error_mgr *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    if (err->message && err->message_size > 0) {
        strncpy(err->message, buffer, err->message_size - 1);
        err->message[err->message_size - 1] = 0;
    }
    longjmp(err->jump, 1);
}

// Warnings (e.g. "premature end of data") are not fatal to libjpeg; they are not printed either.
static void vigil_output_message(j_common_ptr cinfo) { (void)cinfo; }

// libjpeg's standard error manager with exit() replaced by a jump back to the caller's setjmp.
static struct jpeg_error_mgr *vigil_errors(struct vigil_error_mgr *err, char *message, size_t message_size) {
    struct jpeg_error_mgr *pub = jpeg_std_error(&err->pub);
    err->pub.error_exit = vigil_error_exit;
    err->pub.output_message = vigil_output_message;
    err->message = message;
    err->message_size = message_size;
    return pub;
}

int vigil_jpeg_decode(const unsigned char *data, size_t size, unsigned char **pixels,
                      int *width, int *height, char *message, size_t message_size) {
    struct jpeg_decompress_struct cinfo;
    struct vigil_error_mgr jerr;
    unsigned char *volatile out = NULL;
    *pixels = NULL;
    cinfo.err = vigil_errors(&jerr, message, message_size);
    if (setjmp(jerr.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(out);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    if (size == 0) {
        snprintf(message, message_size, "empty input");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3 || cinfo.output_width == 0 || cinfo.output_height == 0 ||
        (unsigned long long)cinfo.output_width * cinfo.output_height > (1ull << 28)) {
        snprintf(message, message_size, "unsupported JPEG: %u×%u with %d components",
                 cinfo.output_width, cinfo.output_height, cinfo.output_components);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    size_t stride = (size_t)cinfo.output_width * 3;
    out = malloc(stride * cinfo.output_height);
    if (!out) {
        snprintf(message, message_size, "out of memory");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    *width = (int)cinfo.output_width;
    *height = (int)cinfo.output_height;
    jpeg_destroy_decompress(&cinfo);
    *pixels = out;
    return 0;
}

int vigil_jpeg_encode(const unsigned char *pixels, int width, int height, int quality,
                      unsigned char **out, size_t *out_size, char *message, size_t message_size) {
    struct jpeg_compress_struct cinfo;
    struct vigil_error_mgr jerr;
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    *out = NULL;
    *out_size = 0;
    cinfo.err = vigil_errors(&jerr, message, message_size);
    if (setjmp(jerr.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = (size_t)size;
    return 0;
}

void vigil_jpeg_free(void *buffer) { free(buffer); }
